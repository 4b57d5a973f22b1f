// A Server-Sent Events reader for fetch response bodies (Node has fetch but no EventSource): messages as the
// WHATWG specification parses them, so any conforming server works, not only qspool.

export interface SseMessage {
  /** The last `id:` seen, carried forward as the specification says (what Last-Event-ID resends). */
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Yields every message of the stream until it ends; comments (keep-alives) are skipped. `onId` hears the last event
 * id at every message's end, also of one without data, which moves it without an event to yield; `onRetry` hears each
 * `retry:` field (the reconnection delay, in ms, the server asks for).
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  lastEventId?: string,
  onId?: (id: string | undefined) => void,
  onRetry?: (ms: number) => void,
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id = lastEventId;
  let event = '';
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.search(/\r\n|\r|\n/); end >= 0; end = buffer.search(/\r\n|\r|\n/)) {
        const line = buffer.slice(0, end);
        // A lone \r at the end of a chunk may be half of \r\n: wait for the next chunk to decide.
        if (buffer[end] === '\r' && end === buffer.length - 1) break;
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          onId?.(id);
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const text = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'data') data.push(text);
        else if (field === 'event') event = text;
        else if (field === 'id' && !text.includes('\0')) id = text;
        else if (field === 'retry' && /^[0-9]+$/.test(text)) onRetry?.(Number(text));
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
