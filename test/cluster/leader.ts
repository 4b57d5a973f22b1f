// Which replica dispatches notifications now: the holder of the dispatcher's lease on the servers' own store
// (`<host>:<pid>:<random>`, server/notifications/dispatcher.ts), mapped to a replica by its process id.
import type { StorageProvider } from '../../storage/contract.ts';
import { DISPATCH_NS } from '../../storage/namespaces.ts';
import type { Cluster } from '../crash/cluster.ts';

/** Waits until some replica holds the lease on the servers' own store (`primary`) and returns its index; rejects after `timeoutMs`. */
export async function dispatchingReplica(cluster: Cluster, primary: () => Promise<StorageProvider>, timeoutMs = 30_000): Promise<number> {
  const storage = await primary();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const lease = (await storage.get<{ holder: string; expiresAt: number }>(DISPATCH_NS, 'lease'))?.value;
      const pid = Number(lease?.holder.split(':').at(-2));
      const replica = lease && lease.expiresAt > Date.now() ? cluster.replicaOfPid(pid) : -1;
      if (replica >= 0) return replica;
      if (Date.now() > deadline) throw new Error(`no replica held the dispatcher lease within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await storage.close();
  }
}
