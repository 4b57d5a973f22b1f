// Live job events where the server offers them (GET /api/v1/jobs/{id}/events, Server-Sent Events). EventSource
// cannot send an Authorization header, so the stream is read with fetch; any event makes the page re-read the job,
// which keeps this independent of the events' exact shape. Without the route, pages poll.
import { getSession } from './session.ts';

/** Calls `onEvent` for every event until `signal` aborts; resolves when the stream ends (the caller polls then). */
export async function followEvents(path: string, onEvent: () => void, signal: AbortSignal): Promise<void> {
  const session = getSession();
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  try {
    const response = await fetch(`/api/v1${path}`, { headers, signal });
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // Events end with a blank line; comments (": keep-alive") carry no event.
      const events = buffer.split(/\r?\n\r?\n/);
      buffer = events.pop() ?? '';
      if (events.some((event) => event.split(/\r?\n/).some((line) => line.startsWith('data:') || line.startsWith('event:')))) onEvent();
    }
  } catch {
    // Aborted, or the connection dropped: polling takes over.
  }
}
