// basic-ftp's errors into the file-system contract's codes and kinds: 530 login refused and untrusted
// certificates are fatal; 4xx replies and network failures retryable; a 5xx reply about one path is a
// record error (the source sends that file to its failed folder).
import { FatalError, RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import { FS_ERROR } from '../filesystem/file-system.js';

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * `doing` names the call and the path: `ftp 127.0.0.1:2121: cannot read "/in/a.csv"`. `password` is masked in
 * the server's reply text, which a server may use to quote the PASS command it refused.
 */
export function ftpError(err: unknown, doing: string, password = ''): SluiceError {
  if (err !== null && typeof err === 'object' && 'kind' in err && 'code' in err) return err as SluiceError;
  const reply =
    typeof (err as { code?: unknown })?.code === 'number' ? ((err as { code: number }).code as number) : undefined;
  const errno = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  // basic-ftp's message starts with the reply code already.
  const said = ((err as Error)?.message ?? String(err)).trim().replace(/^\d{3}[ -]/, '');
  const text = password === '' ? said : said.split(password).join('***');
  // The library's error quotes the reply too, so it is not kept as the cause when the reply held the password.
  const cause = text === said ? err : undefined;
  const options = { cause, details: reply === undefined ? { errno } : { reply } };
  if (reply === 530) {
    return new FatalError(`${doing}: the server refused the login (530 ${text}); check user and password`, {
      ...options,
      code: FS_ERROR.auth,
    });
  }
  if (errno !== undefined && CERT_CODES.has(errno)) {
    return new FatalError(
      `${doing}: the server's TLS certificate is not trusted (${errno}); set tls.caFile or tls.fingerprint`,
      { ...options, code: FS_ERROR.auth },
    );
  }
  if (reply !== undefined && reply >= 500) {
    // 550 covers both "no such file" and "permission denied": the text tells them apart on common servers.
    const isMissing = reply === 550 && /no such|not found|not exist|failed to|can.t|could not/i.test(text);
    const isPermission = reply === 553 || /permission|denied|not allowed/i.test(text);
    const code = isPermission ? FS_ERROR.permission : isMissing ? FS_ERROR.notFound : FS_ERROR.fileError;
    return new RecordError(`${doing}: the server answered ${reply} ${text}`, { ...options, code });
  }
  return new RetryableError(`${doing}: ${reply === undefined ? text : `the server answered ${reply} ${text}`}`, {
    ...options,
    code: FS_ERROR.unavailable,
  });
}
