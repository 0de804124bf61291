// `sluice/testing`: the conformance suites and test helpers the built-in plugins and drivers run, for plugin
// authors' own tests (vitest). A new plugin is finished when its suite passes.

export type { EventArbitraryOptions } from './event-arbitrary.js';
export { anyValueArbitrary, eventArbitrary, jsonValueArbitrary } from './event-arbitrary.js';
export { testPluginContext } from './plugin-context.js';
export { expectCompleteDeclaration, undescribedFields } from './plugin-declaration.js';
export type { ProcessorConformanceOptions, ProcessorUnderTest } from './processor.js';
export { createProcessor, describeProcessorConformance, runProcessor } from './processor.js';
export type { QueueConformanceOptions, QueueFleet } from './queue.js';
export { describeQueueConformance } from './queue.js';
export type { SinkConformanceOptions, WrittenRecord } from './sink.js';
export { describeSinkConformance } from './sink.js';
export type { SourceConformanceOptions } from './source.js';
export { describeSourceConformance } from './source.js';
export type { StorageUnderTest } from './storage.js';
export { describeStorageConformance } from './storage.js';
