// Bearer token check for the ingest server, in constant time: both sides are hashed first so that neither a
// token's content nor its length shows in the time the comparison takes.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createBearerCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const digests = tokens.map(digest);
  return (authorization) => {
    const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    const given = digest(m ? m[1].trim() : '');
    let isMatch = false;
    // Compare against every token, without stopping early.
    for (const d of digests) isMatch = timingSafeEqual(d, given) || isMatch;
    return isMatch && m !== null;
  };
}
