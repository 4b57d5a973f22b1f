// Wakes watchers in every process on this host: one doorbell file per namespace in `.bells/`, touched after each
// commit that wrote the namespace and watched with a plain (non-recursive) inotify watch of that directory.
// A bell exists only once someone has watched its namespace, and commits ring only existing bells (a failed lookup
// is far cheaper than a touch, a journaled metadata write); a bell that cannot ring only delays its watchers until
// they poll.
import { mkdirSync, utimesSync, watch as watchDir, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** Namespaces are `[a-z0-9_-]` segments joined by `/`, so `.` joins them into an unambiguous file name. */
function bellName(namespace: string): string {
  return namespace.replaceAll('/', '.');
}

export class Doorbells {
  private readonly watchers = new Set<FSWatcher>();

  constructor(private readonly dir: string) {}

  ring(namespaces: Iterable<string>): void {
    const now = new Date();
    for (const namespace of namespaces) {
      try {
        utimesSync(join(this.dir, bellName(namespace)), now, now);
      } catch {
        // nobody watches it (see above)
      }
    }
  }

  watch(namespace: string, onChange: () => void): () => void {
    const bell = bellName(namespace);
    let watcher: FSWatcher;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
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
