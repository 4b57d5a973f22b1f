// The one pino logger factory: structured JSON lines, children carry request, job or spooler ids.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'qspool'): Logger {
  return pino({ name, level });
}
