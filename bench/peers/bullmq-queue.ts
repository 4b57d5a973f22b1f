// The BullMQ queue the peers share: one queue on the bench's Redis, and the job the Koa peer enqueues.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export const QUEUE_NAME = 'qspool-bench';

/** BullMQ needs `maxRetriesPerRequest: null` on connections its workers block on. */
export function redisConnection(url = process.env.REDIS_URL): Redis {
  if (!url) throw new Error('REDIS_URL is not set');
  return new Redis(url, { maxRetriesPerRequest: null });
}

export interface PeerJob {
  backend: string;
  payload: Record<string, unknown>;
}

export function openQueue(connection: Redis): Queue<PeerJob> {
  return new Queue<PeerJob>(QUEUE_NAME, { connection });
}

/** Removes every job of the bench queue, so one row's leftovers never wait in front of the next row's jobs. */
export async function emptyQueue(url: string): Promise<void> {
  const connection = redisConnection(url);
  const queue = openQueue(connection);
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
