// Runs a processor plugin in unit tests the way a pipeline does (config through its schema, then create()),
// on deep-frozen batches so that any change to the input fails the test.
import { expect } from 'vitest';
import type { SluiceEvent } from '../../../core/event.js';
import type { PluginContext, ProcessorInstance, ProcessorPlugin, ProcessResult } from '../../../core/plugin.js';
import { deepFreeze } from '../../conformance/deep-freeze.js';
import { createProcessor as createConforming, runProcessor as runConforming } from '../../conformance/processor.js';

export function event(value: unknown, fields: Partial<SluiceEvent> = {}): SluiceEvent {
  return { key: null, value, ts: 1_700_000_000_000, headers: {}, ...fields };
}

export function createProcessor(
  plugin: ProcessorPlugin,
  config: Record<string, unknown>,
  context: Partial<PluginContext> = {},
): Promise<ProcessorInstance> {
  return createConforming({ plugin, config }, context);
}

/** One process() call on a frozen batch, with `rejected` always present. */
export async function processFrozen(
  instance: ProcessorInstance,
  batch: SluiceEvent[],
): Promise<Required<ProcessResult>> {
  const frozen = deepFreeze(batch);
  const { events, rejected = [] } = await runConforming(instance, batch);
  expect(() => frozen.assertBytesUnchanged()).not.toThrow();
  return { events, rejected };
}

/** create() then one process() call on a frozen batch. */
export async function runProcessor(
  plugin: ProcessorPlugin,
  config: Record<string, unknown>,
  batch: SluiceEvent[],
  context: Partial<PluginContext> = {},
): Promise<Required<ProcessResult>> {
  return processFrozen(await createProcessor(plugin, config, context), batch);
}
