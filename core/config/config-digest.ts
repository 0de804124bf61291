// A short fingerprint of what pipeline files say, to tell whether they changed and whether two workers run the
// same version. It covers the files' text by name (not their folder: hosts keep them in different places),
// not the environment they are interpolated with (secrets differ per host) nor plugin modules.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expandPaths } from './load.js';

/** sha256 over the named files' names and text, first 12 hex digits; unreadable files count as their error. */
export function configDigest(paths: readonly string[]): string {
  const hash = createHash('sha256');
  const { files, issues } = expandPaths(paths);
  for (const file of [...files].sort((a, b) => basename(a).localeCompare(basename(b)))) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      text = `unreadable: ${(err as NodeJS.ErrnoException).code}`;
    }
    hash.update(`${basename(file)}\0${text}\0`);
  }
  for (const issue of issues) hash.update(`${issue.message}\0`);
  return hash.digest('hex').slice(0, 12);
}
