// The built-in http connectors.
import type { Plugin } from '../../core/plugin.js';

export const httpPlugins: Plugin[] = [];
