// The socket of a plain-FTP data connection. A net.Socket allocates a fresh 64 KiB buffer for every read and
// shrinks it afterwards; that allocation, not the kernel's copy, made a download cost about three times curl's
// CPU. This one reads straight into the free part of a 1 MiB slab and pushes a view of what arrived: no copy,
// one allocation per slab. A chunk keeps its slab alive as long as it is referenced (as Buffer's own pool
// does), so a consumer that holds one small chunk holds at most a slab.
import { Socket } from 'node:net';

const SLAB_BYTES = 1024 * 1024;
// Below this much room a read would come back short: the next read starts a new slab.
const MIN_READ_BYTES = 64 * 1024;

export function slabSocket(): Socket {
  let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  let used = 0;
  const socket: Socket = new Socket({
    // A push over the high-water mark stops reading until the consumer drains: one slab's worth, not 16 KiB.
    readableHighWaterMark: SLAB_BYTES,
    onread: {
      buffer: () => {
        if (slab.length - used < MIN_READ_BYTES) {
          slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
          used = 0;
        }
        return slab.subarray(used);
      },
      callback: (bytes: number, into: Uint8Array) => {
        used += bytes;
        return socket.push(Buffer.from(into.buffer, into.byteOffset, bytes));
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  return socket;
}
