// Revision counters per area (a namespace's first segment), for StorageProvider.revision: every commit group adds
// one to the counter of each area it wrote, inside the group's transaction, so a counter can never lag a commit,
// whichever process made it. Counters only grow, so the sum over any set of areas changes whenever one of them
// does. The store's random id is part of the answer: a store swapped in at the same path (restored from a backup,
// say) starts its counters over and must not match copies read from the old one.
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

export function areaOf(namespace: string): string {
  const slash = namespace.indexOf('/');
  return slash < 0 ? namespace : namespace.slice(0, slash);
}

export class Revisions {
  private readonly bump: Database.Statement<[string]>;
  /** One statement per number of areas asked for. */
  private readonly sums = new Map<number, Database.Statement<string[], { total: number }>>();

  constructor(
    private readonly db: Database.Database,
    private readonly storeId: string,
  ) {
    this.bump = db.prepare('INSERT INTO revisions (area, counter) VALUES (?, 1) ON CONFLICT DO UPDATE SET counter = counter + 1');
  }

  /** Must run inside the transaction that made the writes. */
  advance(areas: Iterable<string>): void {
    for (const area of areas) this.bump.run(area);
  }

  read(areas: readonly string[]): string {
    let sum = this.sums.get(areas.length);
    if (!sum) {
      const places = areas.map(() => '?').join(', ');
      sum = this.db.prepare<string[], { total: number }>(`SELECT total(counter) AS total FROM revisions WHERE area IN (${places})`);
      this.sums.set(areas.length, sum);
    }
    return `${this.storeId}:${sum.get(...areas)!.total}`;
  }
}
