// The sink receiver, a process of its own: a plain node:http server that answers 200 at once and counts the
// events and bytes it receives. Every event's JSON carries `"ts":<send time, ms>`; arrival minus that is the
// ingest-to-delivery latency of the event. GET /stats reports the tally, POST /reset reports it and starts a new one.
// A body POSTed to /sealed/raw or /sealed/sluice is a whole batch, NDJSON gzipped and encrypted with AES-256-GCM
// (the raw baseline's layout or the aes-gcm processor's): it is opened first, as a real receiver would.

import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { open } from '../../plugins/crypto/aes-gcm-ciphertext.js';
import { AES_KEY, decrypt } from '../baselines/processor-work.js';
import { LatencySamples } from './stats.js';

const SLUICE_KEYS = { keys: new Map([['bench', createSecretKey(AES_KEY)]]), requireBoundKey: false };

/** The plain NDJSON text of a body as it arrived at `path`. */
function plainText(path: string | undefined, body: Buffer): string {
  if (path === '/sealed/raw') return gunzipSync(decrypt(body)).toString('latin1');
  if (path === '/sealed/sluice') return gunzipSync(open(body, null, SLUICE_KEYS) as Uint8Array).toString('latin1');
  return body.toString('latin1');
}

const TS = '"ts":';
let count = 0;
let bytes = 0;
let requests = 0;
let firstAt = 0;
let lastAt = 0;
const latency = new LatencySamples();

function tally(text: string, now: number): void {
  for (let at = text.indexOf(TS); at >= 0; at = text.indexOf(TS, at + 5)) {
    let end = at + 5;
    while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    latency.add(now - Number(text.slice(at + 5, end)));
    count++;
  }
}

const server = createServer((req, res) => {
  if (req.url === '/stats' || req.url === '/reset') {
    // /reset answers the tally it ends, so that nothing arriving in between is counted nowhere.
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ count, bytes, requests, firstAt, lastAt, ...latency.quantiles() }));
    if (req.url === '/reset') {
      count = bytes = requests = firstAt = lastAt = 0;
      latency.clear();
    }
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    const body = Buffer.concat(chunks);
    requests++;
    bytes += body.length;
    if (firstAt === 0) firstAt = now;
    lastAt = now;
    try {
      tally(plainText(req.url, body), now);
      res.end();
    } catch (err) {
      res.statusCode = 400;
      res.end(String(err));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`@ready ${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
