// Refuses JSON nested deeper than a limit before it is parsed: JSON.parse itself copes with deep text, but
// every recursive walk after it (normalising, freezing, storing, serialising at a sink) would overflow the stack
// on the events it produced. One pass over the text, brackets inside strings not counted.
import { RequestRefused } from './request-refused.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of `text`, stopping early once it passes `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Strings are most of an event's bytes: jump to the closing quote natively instead of walking each char.
      i = closingQuote(text, i);
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** Where the string opened at `open` ends (its unescaped closing quote), or the text's end. */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let slashes = 0;
    for (let j = at - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return at;
  }
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
