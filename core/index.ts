// The public SDK, as `import { defineSink, RecordError, withValue } from 'sluice'`: what a plugin may use.
export * from './errors.js';
export * from './event.js';
export * from './plugin.js';
