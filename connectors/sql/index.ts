// The built-in sql connectors.
import type { Plugin } from '../../core/plugin.js';
import sqlSink from './sink.js';
import sqlSource from './source.js';

export const sqlPlugins: Plugin[] = [sqlSource, sqlSink];
