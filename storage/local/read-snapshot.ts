// Reads share one SQLite read transaction until the current run of callbacks and promise reactions ends (the next
// tick). A statement outside a transaction takes and drops SQLite's WAL read lock by itself (two `fcntl` calls and a
// look at the WAL index): about 10 µs of a 2.5 µs lookup, for each of the several reads a request or a dispatcher
// round makes. Sharing stays exact, as for the revision counters (revisions.ts): no I/O is handled before the next
// tick, so every caller reading from the snapshot arrived before it was taken, and so did every change acknowledged
// to someone before it. A write group ends the snapshot before taking the write lock, so this process's own commits
// are seen by every read after them.
import type Database from 'better-sqlite3';

const begins = new WeakMap<Database.Database, { begin: Database.Statement; commit: Database.Statement }>();

function statements(db: Database.Database): { begin: Database.Statement; commit: Database.Statement } {
  let prepared = begins.get(db);
  if (!prepared) {
    prepared = { begin: db.prepare('BEGIN'), commit: db.prepare('COMMIT') };
    begins.set(db, prepared);
  }
  return prepared;
}

export class ReadSnapshot {
  private db: Database.Database | undefined;

  /** Makes the reads on `db` until the next tick share one read transaction (none inside a write transaction). */
  enter(db: Database.Database): void {
    if (this.db === db || db.inTransaction) return;
    this.end();
    statements(db).begin.run();
    this.db = db;
    process.nextTick(() => {
      if (this.db === db) this.end();
    });
  }

  /** Ends the shared read transaction, if one is open. */
  end(): void {
    const db = this.db;
    this.db = undefined;
    if (!db?.open || !db.inTransaction) return;
    // A read transaction has nothing to write: its COMMIT only drops the read lock.
    statements(db).commit.run();
  }
}
