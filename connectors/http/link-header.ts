// Reads the `rel="next"` target of an RFC 8288 Link header (the pagination style of GitHub and many others).

/** The next page's URL, resolved against the URL that was requested; undefined when there is none. */
export function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  // A link is `<url>; param; param`, links are separated by commas (which may also appear inside <>).
  for (const m of text.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2]);
    const rel = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rel.includes('next')) {
      try {
        return new URL(m[1], base).href;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
