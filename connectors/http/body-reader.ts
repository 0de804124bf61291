// Reads a request body into memory without ever holding more than the limits: the wire bytes are counted as
// they arrive and reading stops at the limit (a gzip body is inflated as it streams and its inflated size is
// bounded too). Every wire chunk is also handed to `onWireChunk`, so a signature can be computed on the fly.
import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import { RequestRefused } from './request-refused.js';

export interface BodyLimits {
  /** Most bytes on the wire. */
  maxBytes: number;
  /** Most bytes once inflated (gzip bodies). */
  maxDecompressedBytes: number;
  /** Longest time the whole body may take to arrive, ms. */
  timeoutMs: number;
}

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

/** The content encoding of a request, or a 415 refusal for one this server does not inflate. */
export function bodyEncoding(req: IncomingMessage): 'identity' | 'gzip' {
  const value = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (value === 'identity' || value === '') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  throw new RequestRefused(415, `Content-Encoding ${value} is not supported: send gzip or an uncompressed body`);
}

/** Refuses (413) a request whose announced length is over the wire limit, before anything is read. */
export function checkDeclaredLength(req: IncomingMessage, limits: BodyLimits): void {
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > limits.maxBytes) {
    throw new RequestRefused(413, `body of ${mib(length)} is over the limit of ${mib(limits.maxBytes)}`);
  }
}

export function readBody(
  req: IncomingMessage,
  limits: BodyLimits,
  onWireChunk?: (chunk: Buffer) => void,
): Promise<Buffer> {
  const encoding = bodyEncoding(req);
  checkDeclaredLength(req, limits);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let gunzip: Gunzip | undefined;
    let settled = false;

    const finish = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) {
        // Stop reading: what is still on its way is never buffered.
        req.pause();
        gunzip?.destroy();
        chunks.length = 0;
        reject(err);
      } else resolve(body as Buffer);
    };
    const collect = (chunk: Buffer) => {
      bodyBytes += chunk.byteLength;
      if (bodyBytes > limits.maxDecompressedBytes) {
        finish(new RequestRefused(413, `inflated body is over the limit of ${mib(limits.maxDecompressedBytes)}`));
        return;
      }
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      wireBytes += chunk.byteLength;
      if (wireBytes > limits.maxBytes) {
        finish(new RequestRefused(413, `body is over the limit of ${mib(limits.maxBytes)}`));
        return;
      }
      onWireChunk?.(chunk);
      if (gunzip) gunzip.write(chunk);
      else collect(chunk);
    };
    const onEnd = () => {
      if (!gunzip) {
        finish(undefined, Buffer.concat(chunks, bodyBytes));
        return;
      }
      gunzip.end();
    };
    const onError = (err: Error) => finish(new RequestRefused(400, `request body could not be read: ${err.message}`));
    const onAborted = () => finish(new RequestRefused(400, 'the client went away before the body was complete'));

    if (encoding === 'gzip') {
      gunzip = createGunzip();
      gunzip.on('data', (chunk: Buffer) => {
        if (!settled) collect(chunk);
      });
      gunzip.on('end', () => finish(undefined, Buffer.concat(chunks, bodyBytes)));
      gunzip.on('error', (err) => finish(new RequestRefused(400, `gzip body is corrupt: ${err.message}`)));
    }
    const timer = setTimeout(
      () => finish(new RequestRefused(408, `body did not arrive within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
