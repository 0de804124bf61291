// The one list of built-in plugins. Nothing registers itself by side effect: what is not here is not built in.
import { filePlugins } from './connectors/file/index.js';
import { ftpPlugins } from './connectors/ftp/index.js';
import { generatePlugins } from './connectors/generate/index.js';
import { httpPlugins } from './connectors/http/index.js';
import { sftpPlugins } from './connectors/sftp/index.js';
import { sqlPlugins } from './connectors/sql/index.js';
import { stdioPlugins } from './connectors/stdio/index.js';
import type { Plugin } from './core/plugin.js';
import { codecPlugins } from './plugins/codec/index.js';
import { compressPlugins } from './plugins/compress/index.js';
import { cryptoPlugins } from './plugins/crypto/index.js';
import { transformPlugins } from './plugins/transform/index.js';
import { validatePlugins } from './plugins/validate/index.js';

export const builtins: Plugin[] = [
  ...generatePlugins,
  ...stdioPlugins,
  ...filePlugins,
  ...ftpPlugins,
  ...httpPlugins,
  ...sftpPlugins,
  ...sqlPlugins,
  ...codecPlugins,
  ...compressPlugins,
  ...cryptoPlugins,
  ...transformPlugins,
  ...validatePlugins,
];
