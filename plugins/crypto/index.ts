// The built-in crypto processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';
import aesGcm from './aes-gcm.js';

export const cryptoPlugins: Plugin[] = [aesGcm];
