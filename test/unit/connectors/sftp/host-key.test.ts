import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, HostKeyPolicy, knownHostsName } from '../../../../connectors/sftp/host-key.js';

const key = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIE8y2cK1ZKf1lXn0b6m6m8k9hA9JX3YV7o1o5yq3b2xq', 'base64');
const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIJ1c2o5b0QbH4q8yq6n2mS0tQk2u9t0VtYb8c3pQn3aA', 'base64');
const line = (hosts: string, blob: Buffer) => `${hosts} ssh-ed25519 ${blob.toString('base64')}`;

describe('host keys', () => {
  it('prints fingerprints as ssh-keygen -lf does', () => {
    const expected = createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
    expect(fingerprintOf(key)).toBe(`SHA256:${expected}`);
  });

  it('trusts a pinned fingerprint, and calls any other key changed', () => {
    const policy = new HostKeyPolicy([fingerprintOf(key)], undefined, 'h', 22);
    expect(policy.verify(key)).toEqual({ trusted: true, fingerprint: fingerprintOf(key) });
    expect(policy.verify(other)).toMatchObject({ trusted: false, reason: 'changed' });
  });

  it('reads known_hosts: plain, [host]:port, hashed, wildcard, negated and revoked entries', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[db.example]:2222').digest('base64')}`;
    expect(knownHostsName('db.example', 2222)).toBe('[db.example]:2222');
    expect(new HostKeyPolicy([], line(hashed, key), 'db.example', 2222).verify(key).trusted).toBe(true);
    expect(new HostKeyPolicy([], line('[db.example]:2222', key), 'db.example', 2222).verify(key).trusted).toBe(true);
    expect(new HostKeyPolicy([], line('db.example', key), 'db.example', 2222).verify(key)).toMatchObject({
      trusted: false,
      reason: 'unknown',
    });
    expect(new HostKeyPolicy([], line('*.example', key), 'db.example', 22).verify(key).trusted).toBe(true);
    expect(new HostKeyPolicy([], line('*.example,!db.example', key), 'db.example', 22).verify(key).trusted).toBe(false);
    const revoked = `${line('db.example', key)}\n@revoked ${line('db.example', key)}\n# comment\n`;
    expect(new HostKeyPolicy([], revoked, 'db.example', 22).verify(key)).toMatchObject({ reason: 'revoked' });
  });
});
