// The dispatcher: turns outbox events into pending deliveries and has them made. Of all servers on one storage
// exactly one dispatches at a time: it holds a lease document (`notify/dispatch/lease`, renewed by compare-and-swap,
// taken over by anyone who has seen it unchanged for a whole lease), and it reads each outbox (the server's own and every active registered
// provider's, see sources.ts) after a cursor document on the server's storage (`notify/dispatch/cursor` for its own,
// `cursor-<provider>` for a provider's).
// The cursor trails real time by the settle window, because a writer's key can become visible after later keys
// were read; events inside the window are re-read each round and skipped if this process handled them. Queuing a
// delivery is idempotent (see deliveries.ts), so a restarted or new dispatcher that reads an event again queues
// nothing twice: a process killed at any point loses no notification and, at worst, repeats one delivery.
import type { Logger } from '../../config/logger.ts';
import { isRaceLoss } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { DISPATCH_NS } from '../../storage/namespaces.ts';
import { ns } from '../../storage/records.ts';
import { type OutboxEntry, instantKey, listEventKeys, readEvents } from './outbox.ts';
import { accepted, type EventSource, type EventSources, primarySource } from './sources.ts';
import type { DeliveryWorker } from './worker.ts';

const LEASE_KEY = 'lease';
const CURSOR_KEY = 'cursor';
const PAGE = 200;
/**
 * Events fanned out per MIN_ROUND_GAP_MS of the gap before a round (so rounds spaced further apart fan out more each,
 * and the dispatcher keeps up with 10,000 events a second however they are spaced): a backlog (first start, long
 * outage) is worked through between deliveries.
 */
const ROUND_BUDGET = 1000;
/** The cursor is written at most this often; after a crash the events since are fanned out again (idempotently). */
const CURSOR_EVERY_MS = 1000;
const PRUNE_EVERY_MS = 60_000;
/**
 * A prune stops after this long and goes on in the next round: deliveries wait while it runs, and a backlog of
 * expired events (a first start on an old store) can take a remote store minutes to delete, past the lease, which
 * the prune renews between pages.
 */
const PRUNE_ROUND_MS = 500;
const MIN_ROUND_GAP_MS = 100;
const MAX_ROUND_GAP_MS = 1000;
/**
 * Time between rounds per key the last round listed. Every round re-lists the outbox's whole settle window, which on
 * a busy store holds thousands of keys (5 s at 4,000 submissions/s: 20,000); at a fixed 100 ms gap that listing was
 * 8% of a server's work. Spacing rounds by what they list (a key costs about 0.5 µs to list) keeps it near 1% of one
 * core at any rate, for at most MAX_ROUND_GAP_MS of added delivery delay.
 */
const ROUND_GAP_PER_LISTED_KEY_MS = 0.05;

interface LeaseDoc {
  holder: string;
  expiresAt: number;
}

interface CursorDoc {
  after: string;
  updatedAt: string;
}

export interface DispatcherOptions {
  holder: string;
  leaseMs: number;
  pollMs: number;
  settleMs: number;
  retentionMs: number;
  fanOut(entry: OutboxEntry): Promise<void>;
  worker: DeliveryWorker;
  log: Logger;
  /** The outboxes to read; by default only the one on the dispatcher's own storage. */
  sources?: EventSources;
}

const cursorKey = (source: EventSource) => (source.primary ? CURSOR_KEY : `${CURSOR_KEY}-${source.name}`);

export class Dispatcher {
  private leaseVersion: string | undefined;
  private leaseExpiresAt = 0;
  /** Another holder's lease as this process first saw it at its version, by this process's clock. */
  private witnessed: { version: string; at: number } | undefined;
  /** Per outbox: keys inside the settle window this process already fanned out. */
  private readonly handled = new Map<string, Set<string>>();
  private readonly lastCursorWrite = new Map<string, number>();
  private lastRoundAt = 0;
  private listedLastRound = 0;
  /** Per outbox, the last cursor this process settled (ahead of the stored one between writes). */
  private readonly settledUpTo = new Map<string, string>();
  /** Registered providers whose outbox failed to read, logged once until it answers again. */
  private readonly failing = new Set<string>();
  private readonly sources: EventSources;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private pending = false;
  private lastPrune = 0;
  /** A prune stopped before it was done: the next round goes on with it. */
  private pruning = false;
  private closed = false;

  constructor(
    private readonly storage: StorageProvider,
    private readonly options: DispatcherOptions,
  ) {
    const own = primarySource(storage);
    this.sources = options.sources ?? (async () => [own]);
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Whether this process dispatched in its latest round. */
  get leading(): boolean {
    return this.leaseVersion !== undefined && this.leaseExpiresAt > Date.now();
  }

  /**
   * Runs a round soon (new events, a retry falling due); rounds never overlap, and are spaced by what the last one
   * listed (see ROUND_GAP_PER_LISTED_KEY_MS): every commit that appends an event wakes the dispatcher, and each
   * round re-reads the outbox's settle window, so a busy store would otherwise spend its time re-listing the same keys.
   */
  wake(): void {
    if (this.closed || this.pending) return;
    this.pending = true;
    const wait = this.lastRoundAt + this.roundGapMs() - Date.now();
    const gap = wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait).unref()) : undefined;
    this.round = this.round.then(async () => {
      await gap;
      this.pending = false;
      if (this.closed) return;
      this.lastRoundAt = Date.now();
      try {
        await this.runRound();
      } catch (error) {
        this.options.log.warn({ err: error }, 'notification dispatch round failed; retrying');
      }
    });
  }

  /** The pause between rounds, from what the last one listed (see ROUND_GAP_PER_LISTED_KEY_MS). */
  private roundGapMs(): number {
    return Math.min(MAX_ROUND_GAP_MS, Math.max(MIN_ROUND_GAP_MS, this.listedLastRound * ROUND_GAP_PER_LISTED_KEY_MS));
  }

  /** Stops dispatching, lets deliveries in flight finish their attempt, and hands the lease on at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.round;
    await this.options.worker.stop();
    if (this.leaseVersion) await this.storage.delete(DISPATCH_NS, LEASE_KEY, this.leaseVersion).catch(() => false);
    this.leaseVersion = undefined;
  }

  private async runRound(): Promise<void> {
    if (!(await this.holdLease())) return;
    const sources = await this.sources();
    let budget = Math.round((ROUND_BUDGET * this.roundGapMs()) / MIN_ROUND_GAP_MS);
    this.listedLastRound = 0;
    let backlog = false;
    for (const source of sources) {
      const round = await this.isolated(source, () => this.dispatch(source, budget));
      budget -= round?.fanned ?? 0;
      backlog ||= round?.backlog ?? false;
      if (budget <= 0 || this.closed) break;
    }
    // Lost during the round: the new holder delivers.
    if (!this.leading) return;
    await this.options.worker.run();
    if (backlog) this.wake();
    if (this.pruning || Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      if (!this.pruning) this.lastPrune = Date.now();
      const until = Date.now() + PRUNE_ROUND_MS;
      this.pruning = false;
      for (const source of sources) if ((await this.isolated(source, () => this.prune(source, until))) === false) this.pruning = true;
      if (this.pruning) this.wake();
    }
  }

  /**
   * Runs work on one outbox. A registered provider's failure (its storage unreachable) must not hold up everyone
   * else's notifications: it is logged once and skipped; its cursor stays where it was, so nothing is lost. The
   * server's own storage failing fails the round, as before.
   */
  private async isolated<T>(source: EventSource, work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      if (this.failing.delete(source.name)) this.options.log.info({ provider: source.name }, 'provider event outbox readable again');
      return result;
    } catch (error) {
      if (source.primary) throw error;
      if (!this.failing.has(source.name)) this.options.log.warn({ err: error, provider: source.name }, 'provider event outbox unreadable; its notifications wait');
      this.failing.add(source.name);
      return undefined;
    }
  }

  /**
   * Takes or renews the lease; a lease still more than half valid is not rewritten. Another holder's lease is taken
   * over once this process has seen it at one version for a whole lease, by its own clock: its holder trusts it for
   * that long after writing it, by its clock, so only elapsed times are compared and a clock that is off by any
   * amount never makes two dispatchers (judged by `expiresAt`, one an hour ahead took every lease at once).
   */
  private async holdLease(): Promise<boolean> {
    const now = Date.now();
    if (this.leaseVersion && this.leaseExpiresAt - now > this.options.leaseMs / 2) return true;
    const lease: LeaseDoc = { holder: this.options.holder, expiresAt: now + this.options.leaseMs };
    try {
      const current = await this.storage.get<LeaseDoc>(DISPATCH_NS, LEASE_KEY);
      if (!current) this.leaseVersion = await this.storage.put(DISPATCH_NS, LEASE_KEY, lease, { ifAbsent: true });
      else if (current.value.holder === lease.holder || this.unchangedForALease(current.version, now)) {
        this.leaseVersion = await this.storage.replace(DISPATCH_NS, LEASE_KEY, lease, current.version);
      } else {
        if (this.leaseVersion) this.options.log.info({ holder: current.value.holder }, 'another server dispatches notifications now');
        this.leaseVersion = undefined;
        return false;
      }
    } catch (error) {
      if (!isRaceLoss(error)) throw error;
      this.leaseVersion = undefined;
      return false;
    }
    if (this.leaseExpiresAt <= now) this.options.log.info({ holder: lease.holder }, 'this server dispatches notifications');
    this.leaseExpiresAt = lease.expiresAt;
    return true;
  }

  /** Whether another holder's lease, at `version`, has been seen unchanged for a whole lease; starts watching a new one. */
  private unchangedForALease(version: string, now: number): boolean {
    if (this.witnessed?.version !== version) {
      this.witnessed = { version, at: now };
      return false;
    }
    return now - this.witnessed.at >= this.options.leaseMs;
  }

  /**
   * Fans out one outbox's events after its cursor (up to `budget`), then moves the cursor up to the settle window.
   * Events a source does not vouch for are passed over like handled ones.
   */
  private async dispatch(source: EventSource, budget: number): Promise<{ fanned: number; backlog: boolean }> {
    const key = cursorKey(source);
    const stored = await this.storage.get<CursorDoc>(DISPATCH_NS, key);
    // The stored cursor is written at most once a second; this process's own, newer one spares a busy outbox
    // re-listing that whole second in every round.
    const storedAfter = stored?.value.after ?? '';
    const own = this.settledUpTo.get(source.name) ?? '';
    // Every round lists the whole settle window in key order: a job's events come from several processes, and an
    // event committed behind a key already read (a spooler's claim behind another replica's submission) must still be
    // fanned out before the job's next one, which webhooks receive in order.
    const start = own > storedAfter ? own : storedAfter;
    const boundary = instantKey(Date.now() - this.options.settleMs);
    const handled = this.handled.get(source.name) ?? new Set<string>();
    this.handled.set(source.name, handled);
    let settled = start;
    let fanned = 0;
    let backlog = false;
    for (let after = start; ; ) {
      const keys = await listEventKeys(source.storage, after, PAGE);
      this.listedLastRound += keys.length;
      for (const eventKey of keys) {
        // A long round (a slow store, a backlog) keeps renewing the lease, or stops once another server has it.
        if (!(await this.holdLease())) return { fanned, backlog: false };
        if (fanned >= budget) {
          backlog = true;
          break;
        }
        if (!handled.has(eventKey)) {
          const [entry] = await accepted(source, await readEvents(source.storage, [eventKey]));
          if (entry) await this.options.fanOut(entry);
          handled.add(eventKey);
          fanned += 1;
        }
        if (eventKey < boundary) settled = eventKey;
      }
      if (backlog || keys.length < PAGE || this.closed) break;
      after = keys[keys.length - 1]!;
    }
    this.settledUpTo.set(source.name, settled);
    const lastWrite = this.lastCursorWrite.get(source.name) ?? 0;
    if (settled <= storedAfter || (!backlog && Date.now() - lastWrite < CURSOR_EVERY_MS)) return { fanned, backlog };
    this.lastCursorWrite.set(source.name, Date.now());
    const cursor: CursorDoc = { after: settled, updatedAt: new Date().toISOString() };
    try {
      if (stored) await this.storage.replace(DISPATCH_NS, key, cursor, stored.version);
      else await this.storage.put(DISPATCH_NS, key, cursor, { ifAbsent: true });
    } catch (error) {
      // Another dispatcher moved it (this one's lease lapsed): it re-reads the same events, which queue nothing twice.
      if (!isRaceLoss(error)) throw error;
      return { fanned, backlog };
    }
    for (const done of handled) if (done <= settled) handled.delete(done);
    return { fanned, backlog };
  }

  /**
   * Deletes an outbox's events older than the retention that its cursor has passed, until `until` or while this
   * process holds the lease; resolves false if it stopped with more to delete.
   */
  private async prune(source: EventSource, until: number): Promise<boolean> {
    const cursor = (await this.storage.get<CursorDoc>(DISPATCH_NS, cursorKey(source)))?.value.after ?? '';
    const cutoff = instantKey(Date.now() - this.options.retentionMs);
    for (;;) {
      if (Date.now() >= until || this.closed || !(await this.holdLease())) return false;
      const keys = await listEventKeys(source.storage, '', PAGE);
      const stale = keys.filter((key) => key < cutoff && key <= cursor);
      for (const key of stale) await source.storage.delete(ns.events, key);
      if (stale.length < PAGE) return true;
    }
  }
}
