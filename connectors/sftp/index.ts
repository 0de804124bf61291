// The built-in SSH file connectors: SFTP, and SCP for servers that offer nothing else.
import type { Plugin } from '../../core/plugin.js';
import scpSource from './scp-source.js';
import sftpSource from './source.js';

export const sftpPlugins: Plugin[] = [sftpSource, scpSource];
