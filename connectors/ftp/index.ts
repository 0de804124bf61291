// The built-in FTP/FTPS connectors.
import type { Plugin } from '../../core/plugin.js';
import ftpSink from './sink.js';
import ftpSource from './source.js';

export const ftpPlugins: Plugin[] = [ftpSource, ftpSink];
