// Key files, and the directories qspool keeps them in, must be their owner's alone: whoever else can read a signing
// key can sign results as the backend, and the server's secret key unseals every stored credential. A path group or
// others can read is refused with the chmod that fixes it (in the manner of ssh), never silently narrowed.
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
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
