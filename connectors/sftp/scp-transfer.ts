// The legacy SCP protocol over an exec channel, as OpenSSH's `scp -O` speaks it. Download: run `scp -f PATH`,
// acknowledge with a zero byte, read `C<mode> <size> <name>`, acknowledge, read <size> bytes and a zero byte.
// Upload: run `scp -t PATH`, wait for a zero byte, send the `C` line, the bytes and a zero byte, wait for the
// zero byte that confirms the file is written. The remote path travels only inside the shell-quoted command
// (naming the target file itself), so the protocol's one-line name field never carries a user's file name.
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import { FS_ERROR } from '../filesystem/file-system.js';
import { ChannelReader } from './channel-reader.js';
import { shellQuote } from './shell-quote.js';
import type { SshSession } from './ssh-session.js';

const ACK = Buffer.from([0]);
const CHUNK = 256 * 1024;

/** An error line from the remote scp (`\x01` warning or `\x02` fatal, then text). */
function remoteRefusal(where: string, what: string, text: string): SluiceError {
  const message = `${where}, ${what}: the server's scp answered: ${text.trim()}`;
  if (/No such file or directory/i.test(text)) return new RecordError(message, { code: FS_ERROR.notFound });
  if (/Permission denied/i.test(text)) return new RecordError(message, { code: FS_ERROR.permission });
  if (/not a regular file|Is a directory/i.test(text)) return new RecordError(message, { code: FS_ERROR.fileError });
  return new RecordError(message, { code: FS_ERROR.fileError });
}

function cut(where: string, what: string): RetryableError {
  return new RetryableError(`${where}, ${what}: the connection ended mid-transfer; retrying`, {
    code: FS_ERROR.unavailable,
  });
}

/** Waits for room to write; a stream destroyed meanwhile (deadline, cut) rejects instead of waiting forever. */
function drained(stream: Writable, where: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      stream.off('drain', onDrain);
      reject(cut(where, what));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/** Reads the server's acknowledgement: a zero byte, or an error line. */
async function expectAck(reader: ChannelReader, where: string, what: string): Promise<void> {
  const status = await reader.byte();
  if (status === 0) return;
  if (status === undefined) throw cut(where, what);
  throw remoteRefusal(where, what, await reader.line());
}

export interface ScpDownload {
  /** The file's bytes from the requested offset. */
  stream: Readable;
  /** The file's size as the server announced it. */
  size: number;
}

/** Starts `scp -f`; resolves once the server announced the file (so a missing file rejects here). */
export async function scpDownload(session: SshSession, remotePath: string, offset: number): Promise<ScpDownload> {
  const where = session.settings.where;
  const what = `downloading ${remotePath}`;
  let received = 0;
  const channel = await session.exec(`scp -f -- ${shellQuote(remotePath)}`, what, () => received);
  const reader = new ChannelReader(channel);
  try {
    channel.write(ACK);
    const kind = await reader.byte();
    if (kind === undefined) throw cut(where, what);
    const header = await reader.line();
    if (kind !== 0x43 /* C */) throw remoteRefusal(where, what, header);
    const size = Number(header.split(' ')[1]);
    if (!Number.isSafeInteger(size)) throw remoteRefusal(where, what, `unexpected header C${header}`);
    channel.write(ACK);
    const out = new PassThrough({ highWaterMark: CHUNK });
    pumpDownload({ reader, channel, out, size, offset, onBytes: (n) => (received += n), where, what });
    return { stream: out, size };
  } catch (err) {
    channel.destroy();
    throw err;
  }
}

interface DownloadPump {
  reader: ChannelReader;
  channel: Readable & { write(b: Buffer): boolean; end(): void };
  out: PassThrough;
  size: number;
  offset: number;
  onBytes: (n: number) => void;
  where: string;
  what: string;
}

async function pumpDownload(p: DownloadPump): Promise<void> {
  try {
    let remaining = p.size;
    let toSkip = p.offset;
    while (remaining > 0) {
      const chunk = await p.reader.take(Math.min(remaining, CHUNK));
      if (chunk === undefined) throw cut(p.where, p.what);
      remaining -= chunk.length;
      p.onBytes(chunk.length);
      // SCP cannot seek: a resumed read skips what was read before.
      const keep = toSkip >= chunk.length ? undefined : chunk.subarray(toSkip);
      toSkip = Math.max(0, toSkip - chunk.length);
      if (keep && !p.out.write(keep)) await drained(p.out, p.where, p.what);
    }
    await expectAck(p.reader, p.where, p.what);
    p.channel.write(ACK);
    p.channel.end();
    p.out.end();
  } catch (err) {
    p.channel.destroy();
    p.out.destroy(err as Error);
  }
}

/** Sends a local file of known size with `scp -t`, writing the remote file `remotePath` itself. */
export async function scpUpload(
  session: SshSession,
  remotePath: string,
  localPath: string,
  size: number,
): Promise<void> {
  const where = session.settings.where;
  const what = `uploading ${remotePath}`;
  let sent = 0;
  const channel = await session.exec(`scp -t -- ${shellQuote(remotePath)}`, what, () => sent);
  const reader = new ChannelReader(channel);
  try {
    await expectAck(reader, where, what);
    channel.write(`C0644 ${size} upload\n`);
    await expectAck(reader, where, what);
    for await (const chunk of createReadStream(localPath, { highWaterMark: CHUNK })) {
      sent += (chunk as Buffer).length;
      if (!channel.write(chunk)) await drained(channel, where, what);
    }
    channel.write(ACK);
    await expectAck(reader, where, what);
    channel.end();
  } catch (err) {
    channel.destroy();
    throw err;
  }
}
