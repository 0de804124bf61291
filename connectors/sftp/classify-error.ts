// ssh2 and SFTP errors translated at the connector's edge into the file-system contract's codes and kinds
// (connectors/filesystem/file-system.ts):
//   fatal     E_FS_AUTH (login refused, unusable key, host key not trusted), E_FS_UNSUPPORTED
//   record    E_FS_NOT_FOUND, E_FS_PERMISSION, E_FS_FILE           this one file cannot be used
//   retryable E_FS_UNAVAILABLE                                    connection refused, cut or timed out
// SFTP status codes are numbers on `code` (draft-ietf-secsh-filexfer-02 §7); ssh2 marks its own errors with
// `level` (client-authentication, client-socket, client-timeout, protocol, handshake).
import { FatalError, RecordError, RetryableError, SluiceError } from '../../core/errors.js';
import { FS_ERROR } from '../filesystem/file-system.js';

type Category =
  | 'auth'
  | 'key'
  | 'noSuchFile'
  | 'permission'
  | 'fileError'
  | 'unsupported'
  | 'connection'
  | 'timeout'
  | 'unknown';

interface SshLibraryError {
  code?: unknown;
  level?: unknown;
  message?: unknown;
}

const SFTP_STATUS: Record<number, Category> = {
  2: 'noSuchFile',
  3: 'permission',
  4: 'fileError',
  6: 'connection',
  7: 'connection',
  8: 'unsupported',
};

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function categoryOf(err: unknown): Category {
  if (err === null || typeof err !== 'object') return 'unknown';
  const e = err as SshLibraryError;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.level === 'client-authentication') return 'auth';
  if (typeof e.code === 'number' && SFTP_STATUS[e.code]) return SFTP_STATUS[e.code];
  if (e.code === 'ENOENT') return 'noSuchFile';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission';
  if (/Unable to exec|Unable to start subsystem/i.test(message)) return 'unsupported';
  if (/Cannot parse privateKey|passphrase|Unsupported key format/i.test(message)) return 'key';
  if (e.level === 'client-timeout' || /timed out|Keepalive timeout/i.test(message)) return 'timeout';
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return 'connection';
  if (
    e.level === 'client-socket' ||
    e.level === 'protocol' ||
    /Not connected|No response from server|Connection lost|socket|closed|channel open failure/i.test(message)
  )
    return 'connection';
  return 'unknown';
}

const CODES: Record<Category, string> = {
  auth: FS_ERROR.auth,
  key: FS_ERROR.auth,
  noSuchFile: FS_ERROR.notFound,
  permission: FS_ERROR.permission,
  fileError: FS_ERROR.fileError,
  unsupported: FS_ERROR.unsupported,
  connection: FS_ERROR.unavailable,
  timeout: FS_ERROR.unavailable,
  unknown: FS_ERROR.unavailable,
};

const ADVICE: Record<Category, string> = {
  auth: 'the server refused the login: check `user` and `password`, `privateKey` or the ssh-agent',
  key: 'the private key could not be used: check `privateKey` and its `passphrase`',
  noSuchFile: '',
  permission: 'the server denied access: check the permissions of the path for this user',
  fileError: 'the server refused this file',
  unsupported: 'the server does not support this operation',
  connection: 'the server is unreachable or the connection dropped; retrying',
  timeout: 'no answer in time; retrying',
  unknown: 'retrying',
};

/** True when an error says the path does not exist (SFTP status 2, ENOENT). */
export function isNoSuchFile(err: unknown): boolean {
  if (err instanceof SluiceError) return err.code === CODES.noSuchFile;
  return categoryOf(err) === 'noSuchFile';
}

function libraryMessage(err: unknown): string {
  if (err !== null && typeof err === 'object' && typeof (err as SshLibraryError).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/**
 * Translates an ssh2 or SFTP error into a SluiceError. `where` names the component, server and path, for
 * example `sftp source "invoices" (sftpuser@10.0.0.5:22, /in/a.csv)`.
 */
export function classifySshError(err: unknown, where: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const category = categoryOf(err);
  const advice = ADVICE[category];
  const message = `${where}: ${libraryMessage(err)}${advice ? `; ${advice}` : ''}`;
  const options = { code: CODES[category], cause: err };
  switch (category) {
    case 'auth':
    case 'key':
    case 'unsupported':
      return new FatalError(message, options);
    case 'noSuchFile':
    case 'permission':
    case 'fileError':
      return new RecordError(message, options);
    default:
      return new RetryableError(message, options);
  }
}
