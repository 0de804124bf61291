// Which hosts a templated URL may reach. An entry is a host name (`api.example.com`), a wildcard for its
// subdomains (`*.example.com`, which does not match the apex), or either with a port (`127.0.0.1:9090`);
// without a port any port matches.

export interface HostAllowlist {
  /** True when the URL's scheme is http(s) and its host is allowed. */
  allows(url: URL): boolean;
  readonly entries: readonly string[];
}

interface Entry {
  host: string;
  isWildcard: boolean;
  port?: string;
}

function parseEntry(entry: string): Entry {
  const text = entry.trim().toLowerCase();
  const isWildcard = text.startsWith('*.');
  // The port is read by hand: URL drops a scheme's default port, and `host:80` must still mean port 80 only.
  const withPort = /^(.*[^:]):(\d+)$/.exec(text);
  const hostText = withPort ? withPort[1] : text;
  let parsed: URL;
  try {
    parsed = new URL(`http://${isWildcard ? hostText.slice(2) : hostText}`);
  } catch {
    throw new Error(`allowedHosts: "${entry}" is not a host or host:port`);
  }
  if (parsed.pathname !== '/' || parsed.username || parsed.search || parsed.port) {
    throw new Error(`allowedHosts: "${entry}" is not a host or host:port`);
  }
  return { host: parsed.hostname, isWildcard, ...(withPort ? { port: String(Number(withPort[2])) } : {}) };
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** Throws (an Error with the bad entry) when an entry is not a host. */
export function createHostAllowlist(entries: readonly string[]): HostAllowlist {
  const parsed = entries.map(parseEntry);
  return {
    entries,
    allows(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      const host = url.hostname.toLowerCase();
      return parsed.some((e) => {
        const isHostMatch = e.isWildcard ? host.endsWith(`.${e.host}`) : host === e.host;
        return isHostMatch && (e.port === undefined || e.port === defaultPort(url));
      });
    },
  };
}
