// Key files, and the directories qspool keeps them in, must be their owner's alone: whoever else can read a signing
// key can sign results as the backend, and the server's secret key unseals every stored credential. A path group or
// others can read is refused with the chmod that fixes it (in the manner of ssh), never silently narrowed.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InsecurePermissionsError } from '../schemas/errors.ts';

/** Whether the permission bits let group or others in. */
export const isOpen = (mode: number) => (mode & 0o077) !== 0;

function check(path: string, mode: number | undefined, fixMode: string): void {
  if (mode !== undefined && isOpen(mode)) throw new InsecurePermissionsError(path, mode, `chmod ${fixMode} ${path}`);
}

/** Throws InsecurePermissionsError if `path` exists and group or others can read it; `fixMode` is what chmod sets. */
export async function refuseIfOpen(path: string, fixMode: string): Promise<void> {
  check(path, await modeOf(path), fixMode);
}

export function refuseIfOpenSync(path: string, fixMode: string): void {
  check(path, statSync(path, { throwIfNoEntry: false })?.mode, fixMode);
}

/** The path's mode, or undefined when it does not exist. */
export async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Flushes a file, or a directory's entries, to stable storage. */
export function flushToDisk(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` whole to a new temporary 0600 file beside `file`, flushed; returns its path. A write that fails (a
 * full disk) removes the file again: nothing of a key is left behind.
 */
function flushedTemporary(file: string, content: string): string {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
  return temporary;
}

/**
 * Creates `file` (mode 0600) holding `content`, unless it exists. It is written whole to a temporary file, flushed,
 * and linked into place, which fails if another process got there first (every process then reads the winner's), and
 * the directory is flushed too: a key is used (secrets sealed with it, results signed) as soon as it exists, so a
 * power cut must not leave it empty or missing.
 */
export function createPrivateFileOnce(file: string, content: string): void {
  let temporary: string | undefined;
  try {
    temporary = flushedTemporary(file, content);
    linkSync(temporary, file);
    flushToDisk(dirname(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    if (temporary) rmSync(temporary, { force: true });
  }
}

/** Replaces `file` with a 0600 file holding `content`, whole or not at all (flushed, renamed into place, directory flushed). */
export function replacePrivateFile(file: string, content: string): void {
  const temporary = flushedTemporary(file, content);
  try {
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  flushToDisk(dirname(file));
}
