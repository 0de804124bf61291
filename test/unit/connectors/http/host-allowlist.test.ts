import { describe, expect, it } from 'vitest';
import { createHostAllowlist } from '../../../../connectors/http/host-allowlist.js';

describe('host allowlist for templated URLs', () => {
  const list = createHostAllowlist(['api.example.com', '*.hooks.example.org', '127.0.0.1:9090', 'plain.test:80']);

  it('allows a listed host on any port when the entry has none', () => {
    expect(list.allows(new URL('https://api.example.com/x'))).toBe(true);
    expect(list.allows(new URL('http://API.example.com:8443/x'))).toBe(true);
  });

  it('allows subdomains of a wildcard entry but not its apex', () => {
    expect(list.allows(new URL('https://a.hooks.example.org/'))).toBe(true);
    expect(list.allows(new URL('https://a.b.hooks.example.org/'))).toBe(true);
    expect(list.allows(new URL('https://hooks.example.org/'))).toBe(false);
    expect(list.allows(new URL('https://evilhooks.example.org/'))).toBe(false);
  });

  it('holds an entry with a port to that port, default ports included', () => {
    expect(list.allows(new URL('http://127.0.0.1:9090/ingest'))).toBe(true);
    expect(list.allows(new URL('http://127.0.0.1:9091/ingest'))).toBe(false);
    expect(list.allows(new URL('http://plain.test/'))).toBe(true);
    expect(list.allows(new URL('http://plain.test:8080/'))).toBe(false);
  });

  it('refuses other hosts, credentials tricks and other schemes', () => {
    expect(list.allows(new URL('https://evil.com/'))).toBe(false);
    expect(list.allows(new URL('https://api.example.com@evil.com/'))).toBe(false);
    expect(list.allows(new URL('https://api.example.com.evil.com/'))).toBe(false);
    expect(list.allows(new URL('file:///etc/passwd'))).toBe(false);
  });

  it('refuses an entry that is not a host', () => {
    expect(() => createHostAllowlist(['https://api.example.com/path'])).toThrow(/not a host/);
    expect(() => createHostAllowlist(['a/b'])).toThrow(/not a host/);
  });

  it('reads bracketed IPv6 entries', () => {
    const v6 = createHostAllowlist(['[::1]:8080']);
    expect(v6.allows(new URL('http://[::1]:8080/'))).toBe(true);
    expect(v6.allows(new URL('http://[::1]:8081/'))).toBe(false);
  });
});
