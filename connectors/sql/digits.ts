// Integers written as text (stream ids, bigint cursor columns as drivers give them), read on every row or event:
// a loop over the characters, since a regular expression and BigInt parsing text cost twice as much per value.

const EXACT_DIGITS = 15; // every whole number of up to 15 digits is exact in a double

/** text[from, to) as a number when it is 1 to 15 ASCII digits, else undefined (longer, empty or not digits). */
export function shortDigits(text: string, from = 0, to = text.length): number | undefined {
  if (to <= from || to - from > EXACT_DIGITS) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n;
}
