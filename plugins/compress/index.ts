// The built-in compress processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';
import brotli from './brotli.js';
import deflate from './deflate.js';
import gzip from './gzip.js';
import lz4 from './lz4.js';
import snappy from './snappy.js';
import zstd from './zstd.js';

export const compressPlugins: Plugin[] = [gzip, deflate, brotli, zstd, lz4, snappy];
