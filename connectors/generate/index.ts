// The built-in synthetic event source.
import type { Plugin } from '../../core/plugin.js';
import generateSource from './source.js';

export const generatePlugins: Plugin[] = [generateSource];
