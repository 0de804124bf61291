// The built-in sql connectors.
import type { Plugin } from '../../core/plugin.js';

export const sqlPlugins: Plugin[] = [];
