// A separate OS process that keeps a local store busy: it submits two jobs, claims the oldest queued one and completes
// it with a result, over and over, until killed (so the queue grows, and jobs are queued, running and done). Prints `{"acknowledged": <id>, "at": <ms>}` once each submission
// has returned. Arguments: the data directory and the backend.
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';

const [root, backend] = process.argv.slice(2) as [string, string];
const storage = new LocalProvider({ root, fsync: false });
const jobs = new JobLifecycle(storage, { leaseMs: 60_000 });

const PADDING = 'x'.repeat(1000);

for (let n = 0; ; n += 1) {
  const record = await jobs.enqueue({ backend, owner: 'alice', payload: { n, padding: PADDING } });
  process.stdout.write(`${JSON.stringify({ acknowledged: record.id, at: Date.now() })}\n`);
  if (n % 2 === 0) continue;
  const claimed = await jobs.claim(backend, 'churner');
  if (claimed) await jobs.complete(claimed, { n: (claimed.record.payload as { n: number }).n });
}
