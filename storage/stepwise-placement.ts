// Where a new job goes in its band's schedule (schedule.ts) on providers without transactions: its user's next
// virtual start and the band's clock, read and written as separate documents. A user's virtual start is taken by
// compare-and-swap, so replicas placing jobs of one user at once never hand out the same start; concurrent
// submissions of one user in this process share one swap, and so do the give-backs of jobs of theirs that left the
// queue without running. What this process last wrote or read is kept, so a steady stream of submissions costs one
// write each and no read; a swap that finds the document changed (another replica placed or gave back) reads it again.
import type { StorageProvider } from './contract.ts';
import type { JobRecord } from './records.ts';
import { type VirtualStart, bandOf, bandOfKey, entryKey, givenBack, nextStart, scheduleNs } from './schedule.ts';
import { isRaceLoss } from './stepwise-publisher.ts';

/** How long a band clock read here is used before it is read again: a slightly old clock only lets a user who was idle start a little early. */
const CLOCK_FRESH_MS = 1_000;

/** A submission waiting for its place, or a job that left the queue without running giving its time back. */
interface Waiting {
  record: JobRecord;
  leaving: boolean;
  resolve(key: string): void;
  reject(error: unknown): void;
}

interface Known {
  v: number;
  version: string;
}

/** Each band's clock: the virtual start of the job last taken from it. */
export class BandClocks {
  private readonly read = new Map<string, { v: number | undefined; at: number }>();
  private readonly written = new Map<string, number>();

  constructor(
    private readonly storage: StorageProvider,
    private readonly now: () => number,
  ) {}

  async get(backend: string, band: number): Promise<number | undefined> {
    const name = `${backend}/${band}`;
    const known = this.read.get(name);
    if (known && this.now() - known.at < CLOCK_FRESH_MS) return known.v;
    const v = (await this.storage.get<VirtualStart>(scheduleNs.clocks(backend), `b${band}`))?.value.v;
    this.read.set(name, { v, at: this.now() });
    return v;
  }

  /** Moves the clock on to a taken job's start; only forward, as far as this process knows. */
  async advance(backend: string, band: number, v: number): Promise<void> {
    const name = `${backend}/${band}`;
    if (v <= (this.written.get(name) ?? -1)) return;
    this.written.set(name, v);
    this.read.set(name, { v, at: this.now() });
    await this.storage.put(scheduleNs.clocks(backend), `b${band}`, { v } satisfies VirtualStart);
  }
}

export class Placements {
  /** Per backend, band and user: submissions waiting for the swap in flight. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly users = new Map<string, Known>();

  constructor(
    private readonly storage: StorageProvider,
    private readonly clocks: BandClocks,
  ) {}

  /** The schedule key of a new job. */
  place(record: JobRecord): Promise<string> {
    return this.swap(bandOf(record), record, false);
  }

  /** Gives the virtual time of a job that left the queue without running back to its user (schedule.ts, givenBack). */
  async giveBack(record: JobRecord): Promise<void> {
    if (record.schedule) await this.swap(bandOfKey(record.schedule), record, true);
  }

  /** Queues a change of the user's virtual start behind the swap in flight for the same user and band, if any. */
  private swap(band: number, record: JobRecord, leaving: boolean): Promise<string> {
    const group = `${record.backend}/${band}/${record.owner}`;
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(group);
      if (queue) {
        queue.push({ record, leaving, resolve, reject });
        return;
      }
      this.waiting.set(group, [{ record, leaving, resolve, reject }]);
      void this.drain(group, band);
    });
  }

  private async drain(group: string, band: number): Promise<void> {
    for (let batch = this.waiting.get(group)!; batch.length > 0; batch = this.waiting.get(group)!) {
      this.waiting.set(group, []);
      try {
        const keys = await this.swapAll(group, band, batch);
        batch.forEach((waiting, i) => waiting.resolve(keys[i]!));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.waiting.delete(group);
  }

  /** One swap of the user's virtual start for the whole batch: keys for placements, '' for give-backs. */
  private async swapAll(group: string, band: number, batch: readonly Waiting[]): Promise<string[]> {
    const { backend, owner } = batch[0]!.record;
    const namespace = scheduleNs.users(backend, band);
    for (let previous = this.users.get(group); ; ) {
      if (!previous) {
        const stored = await this.storage.get<VirtualStart>(namespace, owner);
        previous = stored && { v: stored.value.v, version: stored.version };
      }
      const clock = await this.clocks.get(backend, band);
      let v = previous?.v;
      const keys = batch.map(({ record, leaving }) => {
        if (leaving) {
          v = givenBack(clock, v, record) ?? v;
          return '';
        }
        v = nextStart(clock, v, record.weight);
        return entryKey(band, v, record.id);
      });
      if (v === previous?.v) return keys;
      const latest: VirtualStart = { v: v! };
      try {
        const version = previous
          ? await this.storage.replace(namespace, owner, latest, previous.version)
          : await this.storage.put(namespace, owner, latest, { ifAbsent: true });
        this.users.set(group, { v: latest.v, version });
        return keys;
      } catch (error) {
        this.users.delete(group);
        if (!isRaceLoss(error)) throw error;
        previous = undefined;
      }
    }
  }
}
