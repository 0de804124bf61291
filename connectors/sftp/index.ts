// The built-in SSH file connectors: SFTP, and SCP for servers that offer nothing else.
import type { Plugin } from '../../core/plugin.js';
import scpSink from './scp-sink.js';
import scpSource from './scp-source.js';
import sftpSink from './sink.js';
import sftpSource from './source.js';

export const sftpPlugins: Plugin[] = [sftpSource, sftpSink, scpSource, scpSink];
