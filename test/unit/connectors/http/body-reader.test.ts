import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../../../connectors/http/body-reader.js';

const limits = { maxBytes: 1000, maxDecompressedBytes: 5000, timeoutMs: 1000 };

function request(chunks: Buffer[], headers: Record<string, string> = {}, end = true) {
  const stream = new PassThrough();
  Object.assign(stream, { headers });
  setImmediate(() => {
    for (const c of chunks) stream.write(c);
    if (end) stream.end();
  });
  return stream as unknown as IncomingMessage;
}

describe('reading a request body within limits', () => {
  it('reads the body and shows every wire chunk to the signer', async () => {
    const seen: Buffer[] = [];
    const body = await readBody(request([Buffer.from('ab'), Buffer.from('cd')]), limits, (c) => seen.push(c));
    expect(body.toString()).toBe('abcd');
    expect(Buffer.concat(seen).toString()).toBe('abcd');
  });

  it('refuses an announced length over the limit without reading', () => {
    expect(() => readBody(request([], { 'content-length': '1001' }), limits)).toThrow(
      expect.objectContaining({ status: 413 }),
    );
  });

  it('stops reading at the limit when no length is announced', async () => {
    const req = request([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(readBody(req, limits)).rejects.toMatchObject({ status: 413 });
    expect(req.isPaused()).toBe(true);
  });

  it('inflates gzip, bounding the inflated size', async () => {
    const small = gzipSync(Buffer.from('x'.repeat(4000)));
    expect((await readBody(request([small], { 'content-encoding': 'gzip' }), limits)).length).toBe(4000);
    const big = gzipSync(Buffer.from('x'.repeat(6000)));
    await expect(readBody(request([big], { 'content-encoding': 'gzip' }), limits)).rejects.toMatchObject({
      status: 413,
      message: expect.stringContaining('inflated'),
    });
  });

  it('refuses a corrupt gzip body with 400 and an unknown encoding with 415', async () => {
    await expect(
      readBody(request([Buffer.from('not gzip')], { 'content-encoding': 'gzip' }), limits),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect(() => readBody(request([], { 'content-encoding': 'br' }), limits)).toThrow(
      expect.objectContaining({ status: 415 }),
    );
  });

  it('refuses a body that does not arrive in time with 408', async () => {
    const req = request([Buffer.from('partial')], {}, false);
    await expect(readBody(req, { ...limits, timeoutMs: 100 })).rejects.toMatchObject({ status: 408 });
  });
});
