// The BullMQ worker peer of rows 3, 4 and 6: one Worker (concurrency 1, like a spooler) that runs what qspool's
// spooler would: the singlequdit simulator for singlequdit jobs, an echo result for qubit jobs. It starts
// consuming only on `go`, so the runner times the work, not the process start.
import { Worker } from 'bullmq';
import { simulate } from '../../spooler/simulators/singlequdit.ts';
import type { SimExperiment } from '../../spooler/simulators/types.ts';
import { QUEUE_NAME, redisConnection, type PeerJob } from './bullmq-queue.ts';
import { onControl, sendReady } from './protocol.ts';

function run(job: PeerJob): Record<string, { memory: string[] }> {
  const results: Record<string, { memory: string[] }> = {};
  for (const [name, experiment] of Object.entries(job.payload)) {
    const sim = experiment as SimExperiment;
    results[name] = job.backend === 'singlequdit' ? simulate(sim) : { memory: new Array<string>(sim.shots).fill('0') };
  }
  return results;
}

const connection = redisConnection();
const worker = new Worker<PeerJob>(QUEUE_NAME, async (job) => run(job.data), { connection, concurrency: 1, autorun: false });
await worker.waitUntilReady();
onControl(
  async () => {
    await worker.close();
    connection.disconnect();
  },
  () => void worker.run(),
);
sendReady();
