// POSIX paths inside an adapter's root: joined, normalised, and never escaping the root with `..`.
import { posix } from 'node:path';

/** `/`-rooted, normalised path; `..` cannot climb above `/`. */
export function rootedPath(path: string): string {
  const normal = posix.normalize(`/${path}`);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export function joinPath(dir: string, name: string): string {
  return rootedPath(posix.join(dir, name));
}

export function parentPath(path: string): string {
  return posix.dirname(rootedPath(path));
}

export function baseName(path: string): string {
  return posix.basename(path);
}
