// An upload over FTPS that sends no byte. Node's TLS socket, ended right after its handshake, shuts the TCP
// connection down without waiting for the encrypted records still queued behind the handshake: the server
// then sees the connection end before our Finished message (its handshake fails: "unexpected eof") or before
// our close_notify (vsftpd refuses the upload as possibly truncated: 426). A file with content never hits this:
// its first write flushes the queue. So an empty upload waits until the server has finished its side of the
// handshake (with TLS 1.3, its session ticket arrives; with 1.2 the client speaks last and a turn of the event
// loop is enough), then writes an empty chunk, which completes only once the queue ahead of it is written;
// only then does the stream end, and close_notify follows it.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { setTimeout as sleep, setImmediate as turn } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';

export function tlsUploadSource(data: Readable, dataSocket: () => TLSSocket | undefined, timeoutMs: number): Readable {
  return Readable.from(
    (async function* () {
      let isEmpty = true;
      for await (const chunk of data) {
        isEmpty = false;
        yield chunk;
      }
      if (!isEmpty) return;
      const socket = dataSocket();
      if (socket?.getProtocol() === 'TLSv1.3') await serverDone(socket, timeoutMs);
      else await turn();
      yield Buffer.alloc(0);
    })(),
  );
}

// A server that sends no ticket at all gets the upload after timeoutMs, and says itself whether it took it.
async function serverDone(socket: TLSSocket, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  try {
    await Promise.race([
      once(socket, 'session', { signal: stop.signal }),
      once(socket, 'close', { signal: stop.signal }),
      sleep(timeoutMs, undefined, { signal: stop.signal }),
    ]);
  } finally {
    stop.abort();
  }
}
