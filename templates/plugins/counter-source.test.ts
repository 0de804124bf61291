// The source's own test: the conformance suite every source passes (exactly once across restarts).
import { describeSourceConformance } from 'sluice/testing';
import counter from './counter-source.js';

describeSourceConformance({
  plugin: counter,
  config: { upTo: 25, perPoll: 4, interval: 10 },
  expected: Array.from({ length: 25 }, (_, i) => i + 1),
});
