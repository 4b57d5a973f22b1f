// A user's `GET /api/v1/events` stream held open on one replica for the whole run, recording the id of every job
// event it carries: the proof that a replica streams the changes of jobs submitted through the others and moved by
// spoolers that never talk to it.
import { readSse } from '../../scripts/client/sse.ts';

export interface SseWatch {
  user: string;
  /** Event ids (`<job id>-<seq>`) seen on the stream. */
  seen: Set<string>;
  /** Why the stream ended early, if it did. */
  ended?: string;
  close(): void;
}

/** Opens the stream and resolves once the server has subscribed it (its `: connected` comment has been sent). */
export async function watchEvents(url: string, user: string, token: string): Promise<SseWatch> {
  const abort = new AbortController();
  const response = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`GET /api/v1/events as ${user} answered ${response.status}`);
  const watch: SseWatch = { user, seen: new Set(), close: () => abort.abort() };
  void (async () => {
    try {
      for await (const message of readSse(response.body!)) watch.seen.add((JSON.parse(message.data) as { event_id: string }).event_id);
      watch.ended = 'the server ended the stream';
    } catch (error) {
      if (!abort.signal.aborted) watch.ended = `the stream failed: ${(error as Error).message}`;
    }
  })();
  return watch;
}
