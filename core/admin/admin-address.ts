// `--admin [host:]port`: loopback unless a host is given. Without a token only a loopback address is allowed:
// the admin API pauses pipelines and moves offsets, which nobody on the network should do unasked.
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

export interface AdminAddress {
  host: string;
  port: number;
}

export function parseAdminAddress(text: string): AdminAddress {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(`--admin "${text}" is not [host:]port (such as 9464, 0 for any free port, 0.0.0.0:9464)`, {
      code: 'E_ADMIN_ADDRESS',
    });
  }
  const host = m[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1';
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Refuses an address others can reach when no token protects it. */
export function checkAdminExposure(address: AdminAddress, token: string | undefined): void {
  if (token || isLoopback(address.host)) return;
  throw new ConfigError(
    `--admin ${address.host}:${address.port} is reachable from other hosts: set an admin token (--admin-token or SLUICE_ADMIN_TOKEN), or listen on loopback`,
    { code: 'E_ADMIN_TOKEN_REQUIRED' },
  );
}
