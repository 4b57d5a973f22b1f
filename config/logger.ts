// The one pino logger factory: structured JSON lines, children carry request, job or spooler ids.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Lines a destination that cannot write (a full disk under a redirected stdout) holds for a later write, at most. */
const HELD_BYTES = 16 * 1024 * 1024;

/**
 * Standard output as pino writes it, but never fatal: a line that cannot be written (ENOSPC, EIO) raised an
 * uncaught error that stopped the process, and pino's flush on exit then retried the write every 100 ms for ever, so a
 * server or spooler whose log file filled its disk hung, answering nobody and never exiting. Lines are now held (up to
 * HELD_BYTES, then dropped) and written once the destination takes them again; the flush on exit tries once.
 */
function destination(sync: boolean): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync, maxLength: HELD_BYTES });
  let failing = false;
  stream.on('error', () => (failing = true));
  stream.on('write', () => (failing = false));
  const flushSync = stream.flushSync.bind(stream);
  stream.flushSync = () => {
    if (failing) return;
    try {
      flushSync();
    } catch {
      // Nothing left to tell the lines to.
    }
  };
  return stream;
}

/**
 * `options.sync` writes each line before the call returns. Spoolers log that way: a spooler SIGKILLed mid-job keeps its
 * last lines (what it claimed, what it was taking back), which are the evidence of what it did. The default hands
 * lines to a background write, which a server answering thousands of requests a second needs, at the price of the
 * last few milliseconds of lines when it is killed.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'qspool', options: { sync?: boolean } = {}): Logger {
  return pino({ name, level }, destination(options.sync ?? false));
}
