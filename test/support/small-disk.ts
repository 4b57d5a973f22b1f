// A small file system of its own (tmpfs) that a test fills up, so the disk is full for real (ENOSPC from the kernel,
// in every process) and freed again. Mounting needs root: elsewhere smallDisk answers why it cannot, for the test to
// print as it skips.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point; the filler lives in it too. */
  dir: string;
  /** Writes a filler file until the file system has no byte left. */
  fill(): void;
  /** Deletes the filler. */
  free(): void;
  unmount(): void;
}

export function smallDisk(kib: number): SmallDisk | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'disk-full test skipped: mounting a small tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'qspool-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `disk-full test skipped: could not mount a tmpfs (${(error as Error).message.split('\n')[0]})` };
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill: () => {
      const fd = openSync(filler, 'a');
      try {
        for (const size of [65_536, 1]) writeUntilFull(fd, Buffer.alloc(size));
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writeUntilFull(fd: number, chunk: Buffer): void {
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
}
