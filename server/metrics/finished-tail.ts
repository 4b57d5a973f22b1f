// Finds the jobs of one backend that reached a final state since the previous scrape, without re-reading history.
// Job ids sort by creation time, not by finishing time, so a single "last seen" key is not enough: the tail keeps a
// frontier (every final job at or below it has been seen) and watches the jobs at or below it that are still
// queued or running; when one leaves the queue and running namespaces it is read once. Above the frontier, the
// finished namespaces are listed. Each scrape therefore reads only what changed, plus one listing of the queue
// (which the queue-depth gauge needs anyway). Counting starts when the tail is made (server start): jobs created
// before then are counted only if they were still queued or running at a scrape.
import type { StorageProvider } from '../../storage/contract.ts';
import { type JobRecord, ns } from '../../storage/records.ts';

const PAGE = 1000;

/** Every key of a namespace above `after`, a page at a time. */
export async function listAll(storage: StorageProvider, namespace: string, after = ''): Promise<string[]> {
  const keys: string[] = [];
  for (let from = after; ; ) {
    const page = await storage.list(namespace, { limit: PAGE, ...(from ? { after: from } : {}) });
    keys.push(...page);
    if (page.length < PAGE) return keys;
    from = page[page.length - 1]!;
  }
}

/** A 12-hex time prefix: sorts below every job id created at or after `ms`. */
const timePrefix = (ms: number) => Math.floor(ms).toString(16).padStart(12, '0');

export class FinishedTail {
  private frontier: string;
  private watched = new Set<string>();

  constructor(
    private readonly storage: StorageProvider,
    private readonly backend: string,
    now = Date.now(),
  ) {
    this.frontier = timePrefix(now);
  }

  /** The jobs that became final since the last call; `open` is every queued and running id right now. */
  async advance(open: ReadonlySet<string>): Promise<JobRecord[]> {
    const finished: JobRecord[] = [];
    for (const id of this.watched) {
      if (open.has(id)) continue;
      const record = await this.finalRecord(id);
      if (record) finished.push(record);
    }
    const [done, ended, dead] = await Promise.all([
      listAll(this.storage, ns.finished(this.backend), this.frontier),
      listAll(this.storage, ns.deleted(this.backend), this.frontier),
      listAll(this.storage, ns.dead(this.backend), this.frontier),
    ]);
    const reads = await Promise.all([
      ...done.map((id) => this.storage.get<JobRecord>(ns.finished(this.backend), id)),
      ...ended.map((id) => this.storage.get<JobRecord>(ns.deleted(this.backend), id)),
      ...dead.map((id) => this.storage.get<JobRecord>(ns.dead(this.backend), id)),
    ]);
    for (const found of reads) if (found) finished.push(found.value);
    for (const id of [...done, ...ended, ...dead]) if (id > this.frontier) this.frontier = id;
    this.watched = new Set([...open].filter((id) => id <= this.frontier));
    return finished;
  }

  private async finalRecord(id: string): Promise<JobRecord | undefined> {
    const found =
      (await this.storage.get<JobRecord>(ns.finished(this.backend), id)) ??
      (await this.storage.get<JobRecord>(ns.deleted(this.backend), id)) ??
      (await this.storage.get<JobRecord>(ns.dead(this.backend), id));
    return found?.value;
  }
}
