// What the file source does with a file once all of it is stored as events. It runs on the poll after the
// one that read the end of the file, when the checkpoint that says so is stored: a crash in between leaves
// the file where it was, and the action is done again (both actions are safe to repeat).
import { access, copyFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemError } from './fs-error.js';

export type AfterRead = 'keep' | 'delete' | 'move';

export async function finishFile(
  action: AfterRead,
  path: string,
  name: string,
  moveTo: string | undefined,
  where: string,
): Promise<void> {
  if (action === 'keep') return;
  try {
    if (action === 'delete') await unlink(path);
    else await moveFile(path, join(moveTo as string, name));
  } catch (err) {
    // The file is already gone: the action ran before a crash, or someone else took the file.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(path))) return;
    const doing = action === 'delete' ? `delete "${path}"` : `move "${path}" to "${moveTo}"`;
    throw fileSystemError(err, `${where}: cannot ${doing} after reading it`);
  }
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    // Another disk: rename cannot cross it, so copy and then delete.
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await unlink(from);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
