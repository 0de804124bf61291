// The built-in compress processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';

export const compressPlugins: Plugin[] = [];
