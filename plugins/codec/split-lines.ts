// Splitting a text payload into lines: "\n" or "\r\n" ends a line, and a final line break does not start
// another (empty) line, so "a\nb\n" and "a\nb" are both two lines.

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
  }
  return lines;
}
