// Run as a child process by stdio-template.test.ts: the stdio template's source and sink on the real
// process.stdin and process.stdout, with a stand-in for the topic that gives each event an id.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import stdoutSink from '../../../../connectors/stdio/sink.js';
import stdinSource from '../../../../connectors/stdio/source.js';
import type { ListenSource, SinkPlugin, SourcePlugin } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

const template = parse(readFileSync(process.argv[2], 'utf8'));
const pipeline = template.pipelines.stdio;
const find = (kind: string, name: string) => [stdinSource, stdoutSink].find((p) => p.kind === kind && p.name === name);
const { type: sourceType, ...sourceConfig } = pipeline.source;
const { type: sinkType, ...sinkConfig } = pipeline.sinks[0];
const sourcePlugin = find('source', sourceType) as SourcePlugin;
const sinkPlugin = find('sink', sinkType) as SinkPlugin;

const ctx = testPluginContext();
const source = (await sourcePlugin.create(sourcePlugin.config.parse(sourceConfig), ctx)) as ListenSource;
const sink = await sinkPlugin.create(sinkPlugin.config.parse(sinkConfig), ctx);
let sequence = 0;
await source.listen(async (events) => {
  const stored = events.map((e) => ({ ...e, id: `0-${++sequence}-0` }));
  await sink.write(stored);
  return { ids: stored.map((e) => e.id), duplicate: false };
});
await sink.close?.();
