// What one client has seen of its jobs, for sweeps run against a busy system: every read (a status poll, a list page,
// an event) is judged against what the client had seen before that read was sent. A job never goes back: not from
// a final state, not from RUNNING to QUEUED (unless a lease may expire: the documented requeue), and one final state
// never turns into another.
import type { JobState } from '../../storage/records.ts';

const RANK: Record<JobState, number> = { QUEUED: 0, RUNNING: 1, DONE: 2, ERROR: 2, CANCELLED: 2 };

interface Sighting {
  state: JobState;
  by: string;
}

export class SweepObserver {
  private readonly seen = new Map<string, Sighting>();
  readonly problems: string[] = [];

  /** `leaseExpiry`: a running job may be seen queued again (its spooler died and its lease ran out). */
  constructor(private readonly options: { leaseExpiry?: boolean } = {}) {}

  /** What was known before a read is sent; `see` judges its answer against this. */
  before(): ReadonlyMap<string, Sighting> {
    return new Map(this.seen);
  }

  see(known: ReadonlyMap<string, Sighting>, id: string, state: JobState, by: string): void {
    const earlier = known.get(id);
    const requeued = this.options.leaseExpiry === true && earlier?.state === 'RUNNING' && state === 'QUEUED';
    if (earlier && !requeued && (RANK[state] < RANK[earlier.state] || (RANK[earlier.state] === 2 && state !== earlier.state))) {
      this.problems.push(`${id}: ${earlier.by} saw ${earlier.state}, a later ${by} saw ${state}`);
    }
    const latest = this.seen.get(id);
    if (!latest || RANK[state] > RANK[latest.state] || (requeued && latest.state === 'RUNNING')) this.seen.set(id, { state, by });
  }

  state(id: string): JobState | undefined {
    return this.seen.get(id)?.state;
  }
}
