// Lists the files a source should look at: the folder, its subfolders down to `maxDepth` when recursive,
// filtered by the include and exclude globs (picomatch, matched against the path below the folder).
import picomatch from 'picomatch';
import { errorKind, FatalError } from '../../core/errors.js';
import { type FileEntry, type FileSystem, FS_ERROR, isFsError } from './file-system.js';
import { joinPath } from './fs-path.js';

export interface WalkOptions {
  directory: string;
  pattern: string;
  exclude: readonly string[];
  recursive: boolean;
  maxDepth: number;
  /** Marker suffix: files ending with it are listed as markers, not as files to read. */
  doneMarker?: string;
}

export interface WalkedFile extends FileEntry {
  /** Path below the walked folder: the checkpoint key and what the globs match. */
  name: string;
}

export interface Walk {
  files: WalkedFile[];
  /** Relative paths of the marker files found. */
  markers: Set<string>;
}

export function walker(options: WalkOptions): (fs: FileSystem, where: string) => Promise<Walk> {
  const isIncluded = picomatch(options.pattern);
  const isExcluded = options.exclude.length > 0 ? picomatch([...options.exclude]) : () => false;
  return async (fs, where) => {
    const walk: Walk = { files: [], markers: new Set() };
    await visit(fs, options.directory, '', 0);
    // Oldest first, so events come in about the order the files arrived.
    walk.files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return walk;

    async function visit(fs: FileSystem, dir: string, prefix: string, depth: number): Promise<void> {
      let entries: FileEntry[];
      try {
        entries = await fs.list(dir);
      } catch (err) {
        if (depth > 0 && isFsError(err, FS_ERROR.notFound)) return; // a subfolder gone since its parent was listed
        if (depth === 0 && errorKind(err) === 'record') {
          // The folder itself is missing or refused: no poll can work until someone fixes it.
          const what = isFsError(err, FS_ERROR.notFound)
            ? 'does not exist; create it or fix `directory`'
            : 'cannot be listed';
          throw new FatalError(`${where}: the folder "${dir}" ${what} (${(err as Error).message})`, {
            cause: err,
            code: isFsError(err, FS_ERROR.notFound) ? 'E_FILE_NOT_FOUND' : 'E_FILE_PERMISSION',
          });
        }
        throw err;
      }
      for (const entry of entries) {
        const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.type === 'directory') {
          if (options.recursive && depth < options.maxDepth && !entry.name.startsWith('.')) {
            await visit(fs, joinPath(dir, entry.name), name, depth + 1);
          }
        } else if (entry.type === 'file') {
          if (options.doneMarker !== undefined && name.endsWith(options.doneMarker)) walk.markers.add(name);
          else if (isIncluded(name) && !isExcluded(name)) walk.files.push({ ...entry, name });
        }
      }
    }
  };
}
