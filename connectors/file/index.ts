// The built-in local file connectors.
import type { Plugin } from '../../core/plugin.js';
import fileSink from './sink.js';
import fileSource from './source.js';

export const filePlugins: Plugin[] = [fileSource, fileSink];
