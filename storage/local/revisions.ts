// Revision counters per area (a namespace's first segment), for StorageProvider.revision: every commit group adds
// one to the counter of each area it wrote, inside the group's transaction, so a counter can never lag a commit,
// whichever process made it. Counters only grow, so the sum over any set of areas changes whenever one of them
// does. Only areas someone has asked about have a counter: the first question creates it (a write, once per store),
// and commits to other areas (jobs, statuses, events: nearly all of them) leave the table alone. Counting every
// area cost each commit one more page written to the WAL, 4 more `pwrite` calls per job. A commit learns which
// areas are counted from one row that counts how often that set grew, and re-reads the set only when it did.
// The store's random id is part of the answer: a store swapped in at the same path (restored from a backup, say)
// starts its counters over and must not match copies read from the old one.
// Reads take every counter in one statement and share it until the current run of callbacks and promise reactions
// ends (the next tick), or a commit of this process. Each statement outside a transaction takes and drops SQLite's
// WAL read lock (two `fcntl` calls), and a request asked four times (two areas each for its credential and its
// backend): 8% of a server's main thread under submissions. Sharing stays exact: no I/O is handled before the next
// tick, so every request that reads the shared counters arrived before they were read, and so did every change
// acknowledged to someone before it.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';

const STORE_ID = 'store-id';

/** The store's id, made on first open; call while SQLite may still wait for another opener's lock. */
export function storeId(db: Database.Database): string {
  const read = () => (db.prepare('SELECT value FROM meta WHERE name = ?').get(STORE_ID) as { value: string } | undefined)?.value;
  const known = read();
  if (known) return known;
  db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run(STORE_ID, randomBytes(8).toString('hex'));
  return read()!;
}

/** Gives a store a new id: a copy installed in another's place (a restore) must not match what was read from that one. */
export function renewStoreId(db: Database.Database): void {
  db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run(STORE_ID, randomBytes(8).toString('hex'));
}

function areaOf(namespace: string): string {
  const slash = namespace.indexOf('/');
  return slash < 0 ? namespace : namespace.slice(0, slash);
}

/** The row counting how often the set of counted areas grew ('' is no area's name). */
const TRACKED = '';

export class Revisions {
  private readonly bump: Database.Statement<[string]>;
  private readonly track: Database.Statement<[string]>;
  private readonly counter: Database.Statement<[string], number>;
  private readonly counters: Database.Statement<[], [string, number]>;
  private readonly trackedAreas: Database.Statement<[string], string>;
  /** Every counter as read by the current tick's first question; cleared at the next tick and by commits. */
  private shared: Map<string, number> | undefined;
  /** The counted areas as of `trackedAt` (the TRACKED row's counter), so a commit asks the table one question. */
  private tracked = new Set<string>();
  private trackedAt: number | undefined;

  constructor(
    db: Database.Database,
    private readonly storeId: string,
  ) {
    this.bump = db.prepare('UPDATE revisions SET counter = counter + 1 WHERE area = ?');
    this.track = db.prepare('INSERT OR IGNORE INTO revisions (area, counter) VALUES (?, 0)');
    this.counter = db.prepare<[string], number>('SELECT counter FROM revisions WHERE area = ?').pluck();
    this.counters = db.prepare<[], [string, number]>('SELECT area, counter FROM revisions').raw();
    this.trackedAreas = db.prepare<[string], string>('SELECT area FROM revisions WHERE area <> ?').pluck();
  }

  /**
   * Advances the counted areas among those of the namespaces a commit group changed. Must run inside the
   * group's transaction (its write lock keeps the set of counted areas still). Namespaces are mapped to areas here,
   * once per group, and only when some area is counted at all.
   */
  advance(...changedNamespaces: ReadonlySet<string>[]): void {
    this.shared = undefined;
    const at = this.counter.get(TRACKED);
    if (at === undefined) return;
    if (at !== this.trackedAt) {
      this.tracked = new Set(this.trackedAreas.all(TRACKED));
      this.trackedAt = at;
    }
    const changed = new Set<string>();
    for (const namespaces of changedNamespaces) {
      for (const namespace of namespaces) {
        const area = areaOf(namespace);
        if (this.tracked.has(area)) changed.add(area);
      }
    }
    for (const area of changed) this.bump.run(area);
  }

  /** Gives the areas counters from now on; must run inside a write transaction. */
  start(areas: readonly string[]): void {
    this.shared = undefined;
    let added = 0;
    for (const area of areas) added += this.track.run(area).changes;
    if (added === 0) return;
    if (this.bump.run(TRACKED).changes === 0) this.track.run(TRACKED);
  }

  /** The revision, or undefined while one of the areas has no counter yet (see `start`). */
  read(areas: readonly string[]): string | undefined {
    const counters = this.shared ?? this.readAll();
    let total = 0;
    for (const area of areas) {
      const counter = counters.get(area);
      if (counter === undefined) return undefined;
      total += counter;
    }
    return `${this.storeId}:${total}`;
  }

  private readAll(): Map<string, number> {
    const counters = new Map(this.counters.all());
    this.shared = counters;
    process.nextTick(() => {
      if (this.shared === counters) this.shared = undefined;
    });
    return counters;
  }
}
