// `sluice validate --connect` for the file protocols: log in as the pipeline would, then list the folder a
// source reads (a sink creates its folder, so for a sink the login is what is checked). Problems land at the key
// to fix: the one the protocol names for a refused login or an untrusted server (`user`, `tls`, `hostKeys`),
// `directory` for a folder that is not there or not readable, `host` for a server that does not answer.
import type { ConfigProblem, Logger } from '../../core/plugin.js';
import { type FileSystem, FS_ERROR, isFsError } from './file-system.js';

export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface FolderCheck {
  open(): Promise<FileSystem>;
  /** The folder to list, as the adapter names it; undefined to check only the login (a sink). */
  folder(fs: FileSystem): Promise<string | undefined>;
  /** Folder to list for a login-only check: one every account can see. */
  loginFolder(fs: FileSystem): Promise<string>;
  /** The key to fix for an E_FS_AUTH error: the login, the TLS settings, the trusted host keys. */
  authKey(details: Record<string, unknown>): string;
}

export async function checkFolder(check: FolderCheck): Promise<ConfigProblem[]> {
  let fs: FileSystem | undefined;
  let folder: string | undefined;
  try {
    fs = await check.open();
    folder = await check.folder(fs);
    await fs.list(folder ?? (await check.loginFolder(fs)));
    return [];
  } catch (err) {
    return [problemOf(err, folder, check.authKey)];
  } finally {
    await fs?.close().catch(() => {});
  }
}

function problemOf(err: unknown, folder: string | undefined, authKey: FolderCheck['authKey']): ConfigProblem {
  // The adapters' messages already say what failed, where, and what to check.
  const message = err instanceof Error ? err.message : String(err);
  if (isFsError(err, FS_ERROR.auth)) {
    const details = (err as { details?: Record<string, unknown> }).details ?? {};
    return { path: [authKey(details)], message };
  }
  if (folder !== undefined && (isFsError(err, FS_ERROR.notFound) || isFsError(err, FS_ERROR.permission))) {
    return { path: ['directory'], message };
  }
  return { path: ['host'], message };
}
