// A user's `GET /api/v1/events` stream that, whenever its replica ends it or goes away, reconnects at once with
// Last-Event-ID to the next replica, as an EventSource behind a load balancer does: what it collects must be every
// event, wherever the stream was when it happened.
import { readSse } from '../../scripts/client/sse.ts';

export interface StreamedEvent {
  job_id: string;
  seq: number;
  status: string;
}

export interface HoppingStream {
  /** Events received by id (`<job id>-<seq>`). */
  seen: Map<string, StreamedEvent>;
  /** Events received twice (a resume that sent an event again). */
  repeated: string[];
  /** The replica of each connection, in order, and how each one ended. */
  connections: { replica: number; ended: string }[];
  close(): Promise<void>;
}

/** Opens on `urls[first]` and resolves once the server has subscribed it. */
export async function hoppingStream(urls: string[], first: number, token: string): Promise<HoppingStream> {
  const stream: HoppingStream = { seen: new Map(), repeated: [], connections: [], close: async () => undefined };
  let lastId: string | undefined;
  let closed = false;
  let abort = new AbortController();
  const open = async (replica: number) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(lastId === undefined ? {} : { 'Last-Event-ID': lastId }) };
    const response = await fetch(`${urls[replica]}/api/v1/events`, { headers, signal: abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`GET /api/v1/events on replica ${replica} answered ${response.status}`);
    return response.body;
  };
  const read = async (replica: number, body: ReadableStream<Uint8Array>) => {
    for await (const message of readSse(body, lastId, (id) => (lastId = id))) {
      const event = JSON.parse(message.data) as StreamedEvent & { event_id: string };
      if (stream.seen.has(event.event_id)) stream.repeated.push(event.event_id);
      stream.seen.set(event.event_id, { job_id: event.job_id, seq: event.seq, status: event.status });
    }
    return `replica ${replica} ended the stream`;
  };
  let body: ReadableStream<Uint8Array> | undefined = await open(first);
  const loop = (async () => {
    for (let replica = first; !closed; replica = (replica + 1) % urls.length) {
      let ended: string;
      try {
        body ??= await open(replica);
        ended = await read(replica, body);
      } catch (error) {
        ended = `failed: ${(error as Error).message}`;
        // Both replicas may be unreachable for a moment: no busy loop meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      body = undefined;
      if (!closed) stream.connections.push({ replica, ended });
    }
  })();
  stream.close = async () => {
    closed = true;
    abort.abort();
    await loop;
    abort = new AbortController();
  };
  return stream;
}
