// Which client a request comes from, for the per-client limits. Behind a load balancer or reverse proxy every
// request arrives from the proxy's address, so one busy client would count for all; when the socket's peer is a
// trusted proxy, the client is the right-most address in X-Forwarded-For that is not itself a trusted proxy
// (addresses further left were written by the client and can be forged).
import { BlockList, isIP } from 'node:net';

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** An address without the IPv4-in-IPv6 form that a dual-stack listener reports (`::ffff:10.0.0.1`). */
const plain = (address: string): string => V4_MAPPED.exec(address)?.[1] ?? address;

/** Why `entry` is not an address or CIDR range, or undefined when it is one. */
export function proxyEntryProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or CIDR range (10.0.0.0/8, ::1)`;
  if (bits === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= max ? undefined : `"${entry}": the prefix length must be 0 to ${max}`;
}

export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly isAnyTrusted: boolean;

  /** `proxies`: addresses and CIDR ranges, already checked with {@link proxyEntryProblem}. */
  constructor(proxies: readonly string[]) {
    for (const entry of proxies) {
      const [address, bits] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(address, type);
      else this.trusted.addSubnet(address, Number(bits), type);
    }
    this.isAnyTrusted = proxies.length > 0;
  }

  /** The client of a request whose socket peer is `peer` and whose X-Forwarded-For header is `forwardedFor`. */
  clientOf(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let client = plain(peer ?? '');
    if (!this.isAnyTrusted || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((hop) => plain(hop.trim()))
      .filter((hop) => hop !== '');
    while (this.isTrusted(client) && hops.length > 0) {
      const next = hops.pop() as string;
      if (isIP(next) === 0) return client; // a hop that is not an address: stop at the last proxy vouched for
      client = next;
    }
    return client;
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
