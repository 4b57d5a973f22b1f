// Syscalls per job (README, "Syscalls per job"): enqueues JOBS jobs (default 500) 32 at a time, then claims and
// completes them one by one on a fresh local store with fsync on. Run it under `strace -c -f` with JOBS=500 and with
// JOBS=0, and divide the difference by 500.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from '../storage/local/index.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
const N = Number(process.env.JOBS ?? 500);
const root = mkdtempSync(join(tmpdir(), 'qspool-syscalls-'));
const storage = new LocalProvider({ root, fsync: true });
const jobs = new JobLifecycle(storage, { leaseMs: 30_000 });
await storage.put('configs', 'warm', {});
for (let i = 0; i < N; i += 32) {
  await Promise.all(Array.from({ length: Math.min(32, N - i) }, (_, j) => jobs.enqueue({ backend: 'sys', owner: `u${j}`, payload: { experiment_0: { shots: 1 } } })));
}
for (let i = 0; i < N; i += 1) {
  const claim = (await jobs.claim('sys', 'spooler'))!;
  await jobs.complete(claim, { ok: true });
}
await storage.close();
rmSync(root, { recursive: true, force: true });
