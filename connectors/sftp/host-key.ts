// Host-key verification: a server is trusted only when its key matches a pinned `SHA256:…` fingerprint or an
// entry of an OpenSSH known_hosts file. The verdict says why a key was refused, so the connection can fail with
// the fingerprint that was seen and the exact line that would trust it.
import { createHash, createHmac } from 'node:crypto';

export type HostKeyVerdict =
  | { trusted: true; fingerprint: string }
  | { trusted: false; fingerprint: string; reason: 'unknown' | 'changed' | 'revoked' };

/** The OpenSSH `SHA256:…` fingerprint of a raw public-key blob (as `ssh-keygen -lf` prints it). */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Normalises a configured fingerprint: `SHA256:` prefix required, padding ignored. */
export function normaliseFingerprint(text: string): string | undefined {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  return m ? `SHA256:${m[1]}` : undefined;
}

interface KnownHostLine {
  marker?: '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  keyBlob: Buffer;
}

function parseLine(line: string): KnownHostLine | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.split(/\s+/);
  let marker: KnownHostLine['marker'];
  if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
  const [hosts, keyType, key] = fields;
  if (hosts === undefined || keyType === undefined || key === undefined) return undefined;
  return { marker, hosts, keyType, keyBlob: Buffer.from(key, 'base64') };
}

/** The name OpenSSH writes for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(name)) return false;
    } else if (globToRegExp(pattern).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Trusted fingerprints for one server, from pinned fingerprints and/or known_hosts text. Revoked keys are kept
 * apart: a revoked key is refused even when it is also listed as trusted.
 */
export class HostKeyPolicy {
  private readonly trusted = new Set<string>();
  private readonly revoked = new Set<string>();

  constructor(pinned: readonly string[], knownHostsText: string | undefined, host: string, port: number) {
    for (const fp of pinned) {
      const normalised = normaliseFingerprint(fp);
      if (normalised) this.trusted.add(normalised);
    }
    if (knownHostsText === undefined) return;
    const name = knownHostsName(host, port);
    for (const line of knownHostsText.split('\n')) {
      const entry = parseLine(line);
      if (!entry || entry.marker === '@cert-authority' || !hostsMatch(entry.hosts, name)) continue;
      (entry.marker === '@revoked' ? this.revoked : this.trusted).add(fingerprintOf(entry.keyBlob));
    }
  }

  verify(keyBlob: Buffer): HostKeyVerdict {
    const fingerprint = fingerprintOf(keyBlob);
    if (this.revoked.has(fingerprint)) return { trusted: false, fingerprint, reason: 'revoked' };
    if (this.trusted.has(fingerprint)) return { trusted: true, fingerprint };
    return { trusted: false, fingerprint, reason: this.trusted.size > 0 ? 'changed' : 'unknown' };
  }
}
