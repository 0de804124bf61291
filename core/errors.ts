// The error kinds of the whole system. Decisions are taken on `kind`, never on `instanceof` alone, because
// errors cross BullMQ and process boundaries as JSON and come back as plain objects.

export type ErrorKind = 'retryable' | 'record' | 'fatal' | 'config';

export interface SluiceErrorJson {
  name: string;
  code: string;
  kind: ErrorKind;
  message: string;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

export interface SluiceErrorOptions {
  /** Stable machine-readable code such as `E_HTTP_STATUS`. */
  code?: string;
  cause?: unknown;
  /** For retryable errors: the earliest time to try again (a 429's Retry-After). */
  retryAfterMs?: number;
  /** Extra facts for the dead-letter record (a status, a response excerpt); never secrets. */
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = kindNames[kind];
    this.kind = kind;
    this.code = options.code ?? defaultCodes[kind];
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): SluiceErrorJson {
    const out: SluiceErrorJson = { name: this.name, code: this.code, kind: this.kind, message: this.message };
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** A temporary failure (network, 5xx, lock, 429): retried with backoff by the runtime. */
export class RetryableError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('retryable', message, options);
  }
}

/** This one record cannot be decoded, validated or written: it goes to the dead-letter topic, the rest go on. */
export class RecordError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('record', message, options);
  }
}

/** Retrying cannot help (bad credentials, a missing table): the pipeline stops with this message. */
export class FatalError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('fatal', message, options);
  }
}

/** The configuration is wrong; found before anything starts. */
export class ConfigError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('config', message, options);
  }
}

const kindNames: Record<ErrorKind, string> = {
  retryable: 'RetryableError',
  record: 'RecordError',
  fatal: 'FatalError',
  config: 'ConfigError',
};
const defaultCodes: Record<ErrorKind, string> = {
  retryable: 'E_RETRYABLE',
  record: 'E_RECORD',
  fatal: 'E_FATAL',
  config: 'E_CONFIG',
};
const kinds = new Set<string>(Object.keys(kindNames));

/**
 * True for V8's stack overflow. It comes from the data (a value nested deeper than some recursive walk can go),
 * so retrying the same event overflows again: it is a record error of that event.
 */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message === 'Maximum call stack size exceeded';
}

/** The kind of any thrown value. Unknown errors are retryable: the retry policy bounds them. */
export function errorKind(err: unknown): ErrorKind {
  if (err !== null && typeof err === 'object' && 'kind' in err && kinds.has(String((err as { kind: unknown }).kind))) {
    return (err as { kind: ErrorKind }).kind;
  }
  return isStackOverflow(err) ? 'record' : 'retryable';
}

/** Restores an error from its JSON form (or turns any thrown value into a `SluiceError`). */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  if (isStackOverflow(err)) {
    return new RecordError('value is nested too deeply to process (the stack overflowed); flatten it', {
      code: 'E_TOO_DEEP',
      cause: err,
    });
  }
  if (err !== null && typeof err === 'object') {
    const o = err as Partial<SluiceErrorJson> & { message?: unknown };
    const message = typeof o.message === 'string' ? o.message : String(err);
    return new SluiceError(errorKind(err), message, {
      code: typeof o.code === 'string' ? o.code : undefined,
      retryAfterMs: typeof o.retryAfterMs === 'number' ? o.retryAfterMs : undefined,
      details: o.details,
      cause: err instanceof Error ? err : undefined,
    });
  }
  return new SluiceError('retryable', String(err));
}

/** Restores a `SluiceError` from the JSON produced by `toJSON()`. */
export function errorFromJson(json: SluiceErrorJson): SluiceError {
  return toSluiceError(json);
}
