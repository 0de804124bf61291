// The built-in validate processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';
import jsonSchema from './json-schema.js';

export const validatePlugins: Plugin[] = [jsonSchema];
