// Wakes watchers in every process on this host: one doorbell file per namespace in `.bells/`, touched after each
// commit that wrote the namespace and watched with a plain (non-recursive) inotify watch of that directory.
// A bell exists only once someone has watched its namespace, and commits ring only existing bells (a failed lookup
// is far cheaper than a touch, a journaled metadata write); a bell that cannot ring only delays its watchers until
// they poll.
import { utimesSync, watch as watchDir, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { makeDirectorySync } from '../directories.ts';

/** Namespaces are `[a-z0-9_-]` segments joined by `/`, so `.` joins them into an unambiguous file name. */
function bellName(namespace: string): string {
  return namespace.replaceAll('/', '.');
}

/** How long a bell found missing is not looked for again: a new watcher also polls, so it loses at most this. */
const ABSENT_FOR_MS = 1000;

export class Doorbells {
  private readonly watchers = new Set<FSWatcher>();
  /** Namespaces whose bell was missing, and when it was last looked for. */
  private readonly absent = new Map<string, number>();

  constructor(private readonly dir: string) {}

  ring(namespaces: Iterable<string>): void {
    const now = Date.now();
    const time = new Date(now);
    for (const namespace of namespaces) {
      const missingSince = this.absent.get(namespace);
      if (missingSince !== undefined && now - missingSince < ABSENT_FOR_MS) continue;
      try {
        utimesSync(join(this.dir, bellName(namespace)), time, time);
        this.absent.delete(namespace);
      } catch {
        this.absent.set(namespace, now); // nobody watches it (see above)
      }
    }
  }

  watch(namespace: string, onChange: () => void): () => void {
    const bell = bellName(namespace);
    this.absent.delete(namespace);
    let watcher: FSWatcher;
    try {
      makeDirectorySync(this.dir, 0o700);
      writeFileSync(join(this.dir, bell), '', { flag: 'a', mode: 0o600 });
      watcher = watchDir(this.dir, (_event, filename) => {
        if (filename === bell) onChange();
      });
    } catch {
      // Watching only saves polling time; without it the caller still polls.
      return () => undefined;
    }
    watcher.on('error', () => watcher.close());
    this.watchers.add(watcher);
    return () => {
      watcher.close();
      this.watchers.delete(watcher);
    };
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.clear();
  }
}
