// The built-in standard input and output connectors.
import type { Plugin } from '../../core/plugin.js';
import stdoutSink from './sink.js';
import stdinSource from './source.js';

export const stdioPlugins: Plugin[] = [stdinSource, stdoutSink];
