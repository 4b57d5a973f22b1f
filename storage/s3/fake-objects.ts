// Test support: object ports that are not S3. FakeObjects is an in-memory bucket with the semantics measured on
// Ceph RGW 16 (If-Match on a missing key → 412, DELETE ignores If-Match) or AWS's (404, DELETE honours If-Match),
// plus scripted failures; CrashingPort plays a process killed after its n-th write; CountingPort counts requests.
import { createHash } from 'node:crypto';
import type { ListedPage, ObjectPort, PortWrite, StoredObject } from './objects.ts';
import type { WriteCondition } from './requests.ts';

export type Flavour = 'rgw' | 'aws';

/**
 * A scripted answer for the next conditional write that matches: `refuse` answers "indeterminate" without writing
 * (RGW's 500 to a race loser), `lose-answer` writes and then answers "indeterminate" (a reply lost on the way).
 */
export type Fault = 'refuse' | 'lose-answer';

export class FakeObjects implements ObjectPort {
  readonly objects = new Map<string, StoredObject>();
  readonly log: string[] = [];
  private readonly faults: { match: (name: string) => boolean; fault: Fault }[] = [];

  constructor(readonly flavour: Flavour = 'rgw') {}

  /** The next write of a name containing `fragment` gets `fault`. */
  inject(fragment: string, fault: Fault): this {
    this.faults.push({ match: (name) => name.includes(fragment), fault });
    return this;
  }

  async get(name: string): Promise<StoredObject | undefined> {
    this.log.push(`get ${name}`);
    const found = this.objects.get(name);
    return found && { ...found };
  }

  async put(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    this.log.push(`put ${name} ${'ifAbsent' in condition ? 'if-none-match *' : `if-match ${condition.ifMatch}`}`);
    const current = this.objects.get(name);
    const holds = 'ifAbsent' in condition ? current === undefined : current?.etag === condition.ifMatch;
    const index = this.faults.findIndex((f) => f.match(name));
    const fault = index >= 0 ? this.faults.splice(index, 1)[0]!.fault : undefined;
    if (fault === 'refuse') return { ok: false, failure: 'indeterminate' };
    if (!holds) return { ok: false, failure: 'precondition' };
    const etag = createHash('md5').update(body).digest('hex');
    this.objects.set(name, { body, etag });
    return fault === 'lose-answer' ? { ok: false, failure: 'indeterminate' } : { ok: true, etag };
  }

  async delete(name: string, etag: string): Promise<void> {
    this.log.push(`delete ${name}`);
    if (this.flavour === 'aws' && this.objects.get(name)?.etag !== etag) return;
    this.objects.delete(name);
  }

  async list(prefix: string, maxKeys: number, from: { startAfter?: string; continuationToken?: string }): Promise<ListedPage> {
    this.log.push(`list ${prefix}`);
    const start = from.continuationToken ?? from.startAfter ?? '';
    // Names directly under the prefix, and deeper names rolled up into their common prefix, as S3 does.
    const entries = new Set<string>();
    for (const name of this.objects.keys()) {
      if (!name.startsWith(prefix)) continue;
      const slash = name.indexOf('/', prefix.length);
      entries.add(slash < 0 ? name : name.slice(0, slash + 1));
    }
    const remaining = [...entries].filter((entry) => entry > start).sort();
    const page = remaining.slice(0, maxKeys);
    const last = page.at(-1);
    return {
      names: page.filter((e) => !e.endsWith('/')),
      prefixes: page.filter((e) => e.endsWith('/')),
      // A rolled-up prefix is skipped as a whole: nothing under it sorts after prefix + U+FFFF.
      ...(remaining.length > page.length && last ? { continuationToken: last.endsWith('/') ? `${last}\uffff` : last } : {}),
    };
  }

  close(): void {}

  /** Object names in byte order, e.g. to compare a store's state before and after. */
  names(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** The envelope state stored under each name (live, leaving, arriving, deleting). */
  states(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.names()) out[name] = (JSON.parse(this.objects.get(name)!.body) as { state?: string }).state ?? '?';
    return out;
  }
}

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash');
  }
}

/** Lets `writesAllowed` writes (PUT or DELETE) through, then fails every later request as if the process died. */
export class CrashingPort implements ObjectPort {
  private writes = 0;

  constructor(
    private readonly inner: ObjectPort,
    private readonly writesAllowed: number,
  ) {}

  get crashed(): boolean {
    return this.writes >= this.writesAllowed;
  }

  async get(name: string): Promise<StoredObject | undefined> {
    if (this.crashed) throw new SimulatedCrash();
    return this.inner.get(name);
  }

  async put(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    if (this.crashed) throw new SimulatedCrash();
    this.writes += 1;
    return this.inner.put(name, body, condition);
  }

  async delete(name: string, etag: string): Promise<void> {
    if (this.crashed) throw new SimulatedCrash();
    this.writes += 1;
    return this.inner.delete(name, etag);
  }

  async list(prefix: string, maxKeys: number, from: { startAfter?: string; continuationToken?: string }): Promise<ListedPage> {
    if (this.crashed) throw new SimulatedCrash();
    return this.inner.list(prefix, maxKeys, from);
  }

  close(): void {
    this.inner.close();
  }
}

/** Counts requests by kind, passing them on. */
export class CountingPort implements ObjectPort {
  readonly counts = { get: 0, put: 0, delete: 0, list: 0 };

  constructor(private readonly inner: ObjectPort) {}

  total(): number {
    return this.counts.get + this.counts.put + this.counts.delete + this.counts.list;
  }

  reset(): void {
    this.counts.get = this.counts.put = this.counts.delete = this.counts.list = 0;
  }

  get(name: string): Promise<StoredObject | undefined> {
    this.counts.get += 1;
    return this.inner.get(name);
  }

  put(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    this.counts.put += 1;
    return this.inner.put(name, body, condition);
  }

  delete(name: string, etag: string): Promise<void> {
    this.counts.delete += 1;
    return this.inner.delete(name, etag);
  }

  list(prefix: string, maxKeys: number, from: { startAfter?: string; continuationToken?: string }): Promise<ListedPage> {
    this.counts.list += 1;
    return this.inner.list(prefix, maxKeys, from);
  }

  close(): void {
    this.inner.close();
  }
}

/** Holds the answer to its `holdAfter`-th write (1-based) until release(): a process stalled right after it. */
export class GatedPort extends CountingPort {
  private writes = 0;
  private gate: (() => void) | undefined;
  private readonly opened: Promise<void>;
  /** Resolves when the held write has been done. */
  readonly reached: Promise<void>;
  private arrive!: () => void;

  constructor(inner: ObjectPort, private readonly holdAfter: number) {
    super(inner);
    this.opened = new Promise((resolve) => (this.gate = resolve));
    this.reached = new Promise((resolve) => (this.arrive = resolve));
  }

  release(): void {
    this.gate?.();
  }

  override async put(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    const answer = await super.put(name, body, condition);
    await this.hold();
    return answer;
  }

  override async delete(name: string, etag: string): Promise<void> {
    await super.delete(name, etag);
    await this.hold();
  }

  private async hold(): Promise<void> {
    this.writes += 1;
    if (this.writes === this.holdAfter) {
      this.arrive();
      await this.opened;
    }
  }
}
