// One operation at a time per key in this process (a user's token or webhook registrations), the rest waiting in
// arrival order. Capped creations count, write and count again in storage, which keeps replicas within the cap; in
// one process taking turns spares a burst the needless refusals that counting alongside each other would cost.
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
