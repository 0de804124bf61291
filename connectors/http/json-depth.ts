// Refuses JSON nested deeper than a limit before it is parsed: JSON.parse itself copes with deep text, but
// every recursive walk after it (normalising, freezing, storing, serialising at a sink) would overflow the stack
// on the events it produced. One pass over the text, brackets inside strings not counted.
import { RequestRefused } from './request-refused.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/** The deepest nesting of `text`, stopping early once it passes `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let isInString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isInString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) isInString = false;
    } else if (c === QUOTE) {
      isInString = true;
    } else if (OPENERS.has(c)) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (CLOSERS.has(c)) {
      depth--;
    }
  }
  return deepest;
}

/** Throws a 400 naming the limit when `text` nests deeper than `limit`; `where` names the part of the request. */
export function checkJsonDepth(text: string, limit: number, where: string): void {
  if (jsonDepth(text, limit) > limit) {
    throw new RequestRefused(
      400,
      `${where} is JSON nested deeper than ${limit} levels: flatten it, or raise maxJsonDepth on this source`,
    );
  }
}
