// Turns file-system errors into Sluice's error kinds, with a message that says what to do.
import { FatalError, RetryableError, type SluiceError } from '../../core/errors.js';

/** `doing` says what failed and on what: `file sink: cannot write "/data/out/a.ndjson"`. */
export function fileSystemError(err: unknown, doing: string): SluiceError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const options = { cause: err, details: { errno: code } };
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new FatalError(`${doing}: permission denied (${code}); give Sluice's user access or change the path`, {
        ...options,
        code: 'E_FILE_PERMISSION',
      });
    case 'ENOENT':
      return new FatalError(`${doing}: no such file or folder (${code}); create it or fix the path`, {
        ...options,
        code: 'E_FILE_NOT_FOUND',
      });
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return new FatalError(`${doing}: a file is where a folder should be, or the reverse (${code}); fix the path`, {
        ...options,
        code: 'E_FILE_PATH',
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new RetryableError(`${doing}: the disk is full (${code}); free some space`, {
        ...options,
        code: 'E_FILE_NO_SPACE',
      });
    default:
      return new RetryableError(`${doing}: ${(err as Error)?.message ?? String(err)}`, {
        ...options,
        code: 'E_FILE_IO',
      });
  }
}
