// Remote names reach a POSIX shell only through `shellQuote`: single quotes keep every byte literal (spaces,
// `;`, `$()`, backquotes, newlines), and a single quote inside is closed, escaped and reopened.

export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a remote path cannot contain a NUL byte');
  return `'${value.replaceAll("'", "'\\''")}'`;
}
