// The built-in http connectors: the ingest server source, the polling source and the delivery sink.
import type { Plugin } from '../../core/plugin.js';
import httpPollSource from './poll-source.js';
import httpSink from './sink.js';
import httpSource from './source.js';

export const httpPlugins: Plugin[] = [httpSource, httpPollSource, httpSink];
