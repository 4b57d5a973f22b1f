// What a lease reaper saw with its own eyes. A lease's expiry is written by its holder's clock, so a reaper whose
// clock runs ahead of the holder's (by more than the lease's renewal slack) finds a healthy, renewing job "expired" and
// runs it a second time. A reaper with a witness takes a job back only once it has also seen the same lease, unchanged,
// for a whole lease by its own monotonic clock. That rule needs no shared clock: a holder abandons its job at most a
// lease after it sent its last renewal (LeaseKeeper.hold in spooler/lease-keeper.ts), and the reaper first saw that
// renewal's lease after it was sent, so by the time the witness agrees the holder has stopped. The cost: a reaper that
// has just started waits a lease before taking back what died before it came; one that has been sweeping all along
// loses at most a sweep.

/** The parts of a lease that change with every claim and renewal (a cancel request does not count as a sign of life). */
export interface LeaseSighting {
  holder: string;
  token: number | string;
  expiresAt: number;
}

interface Seen {
  lease: string;
  since: number;
  sweep: number;
}

export class LeaseWitness {
  /** Per backend: the lease each running job had when first seen unchanged, and the sweep that last saw it. */
  private readonly seen = new Map<string, Map<string, Seen>>();
  private sweeps = 0;

  constructor(
    private readonly leaseMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Runs one sweep of a backend's running jobs; jobs the sweep did not look at (they left RUNNING) are forgotten
   * once it completes. A sweep that fails forgets nothing.
   */
  async sweep<T>(backend: string, work: () => Promise<T>): Promise<T> {
    this.sweeps += 1;
    const sweep = this.sweeps;
    const result = await work();
    const seen = this.seen.get(backend);
    if (seen) for (const [id, sighting] of seen) if (sighting.sweep < sweep) seen.delete(id);
    return result;
  }

  /** Notes the lease a sweep read for a job; true once this process has seen that same lease for a whole lease. */
  unchangedForALease(backend: string, id: string, lease: LeaseSighting | undefined): boolean {
    const now = this.clock();
    const key = lease ? `${lease.holder}\u0000${lease.token}\u0000${lease.expiresAt}` : '';
    let seen = this.seen.get(backend);
    if (!seen) this.seen.set(backend, (seen = new Map()));
    const known = seen.get(id);
    if (!known || known.lease !== key) {
      seen.set(id, { lease: key, since: now, sweep: this.sweeps });
      return false;
    }
    known.sweep = this.sweeps;
    return now - known.since >= this.leaseMs;
  }
}
