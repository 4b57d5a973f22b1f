// The one pino logger factory: structured JSON lines, children carry request, job or spooler ids.
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * `options.sync` writes each line before the call returns. Spoolers log that way: a spooler SIGKILLed mid-job keeps its
 * last lines (what it claimed, what it was taking back), which are the evidence of what it did. The default hands
 * lines to a background write, which a server answering thousands of requests a second needs, at the price of the
 * last few milliseconds of lines when it is killed.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'qspool', options: { sync?: boolean } = {}): Logger {
  return options.sync ? pino({ name, level }, pino.destination({ dest: 1, sync: true })) : pino({ name, level });
}
