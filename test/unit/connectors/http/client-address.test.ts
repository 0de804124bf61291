import { describe, expect, it } from 'vitest';
import { ClientAddresses, proxyEntryProblem } from '../../../../connectors/http/client-address.js';
import httpSource from '../../../../connectors/http/source.js';

describe('the client a request is counted against', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    const clients = new ClientAddresses([]);
    expect(clients.clientOf('10.0.0.5', '203.0.113.9')).toBe('10.0.0.5');
  });

  it('is the right-most address a trusted proxy did not add', () => {
    const clients = new ClientAddresses(['10.0.0.0/8', '192.168.1.1']);
    // The client forged the first hop; the two proxies each appended what they saw.
    expect(clients.clientOf('10.0.0.5', '1.1.1.1, 203.0.113.9, 192.168.1.1')).toBe('203.0.113.9');
    expect(clients.clientOf('10.0.0.5', ['1.1.1.1', '203.0.113.9'])).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const clients = new ClientAddresses(['10.0.0.0/8']);
    expect(clients.clientOf('203.0.113.9', '10.1.1.1')).toBe('203.0.113.9');
  });

  it('reads IPv4-mapped IPv6 peers as IPv4, and trusts IPv6 ranges', () => {
    const clients = new ClientAddresses(['127.0.0.1', 'fd00::/8']);
    expect(clients.clientOf('::ffff:127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(clients.clientOf('fd00::1', '2001:db8::5')).toBe('2001:db8::5');
  });

  it('stops at the last trusted proxy when a hop is not an address, or when every hop is trusted', () => {
    const clients = new ClientAddresses(['10.0.0.0/8']);
    expect(clients.clientOf('10.0.0.5', 'unknown')).toBe('10.0.0.5');
    expect(clients.clientOf('10.0.0.5', '10.0.0.7')).toBe('10.0.0.7');
  });
});

describe('trustedProxies in the config', () => {
  it('accepts addresses and ranges and refuses anything else, naming the entry', () => {
    expect(proxyEntryProblem('10.0.0.0/8')).toBeUndefined();
    expect(proxyEntryProblem('::1')).toBeUndefined();
    expect(proxyEntryProblem('10.0.0.0/33')).toContain('0 to 32');
    expect(proxyEntryProblem('proxy.local')).toContain('"proxy.local" is not an IP address');
    const parsed = httpSource.config.safeParse({ port: 0, path: '/in', trustedProxies: ['10.0.0.0/8', 'lb'] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['trustedProxies', 1],
        message: expect.stringContaining('"lb" is not an IP address'),
      }),
    ]);
  });
});
