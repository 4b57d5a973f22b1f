// What the notification tests share: a real SMTP server (smtp-server) whose mails are parsed with mailparser, a
// webhook receiver with a scripted answer per request, and an SSE connection that hands out parsed messages.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { listenSmtp } from '../support/smtp-sink.ts';
import { pino } from 'pino';
import { readSse, type SseMessage } from '../../scripts/client/sse.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';
import { Spooler } from '../../spooler/spooler.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import type { JobEvent } from '../../storage/records.ts';
import { eventually } from '../support/system.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';

export { eventually };

/**
 * A real singlequdit spooler running experiments on this thread: the production one loads the simulators into a
 * worker thread first, which costs seconds these tests need not spend.
 */
export async function startSpooler(storage: StorageProvider): Promise<Spooler> {
  const spooler = new Spooler({
    lifecycle: new JobLifecycle(storage, { leaseMs: 5000 }),
    backend: singlequdit,
    providerName: 'alqor',
    logger: pino({ level: 'silent' }),
    pollMs: 20,
  });
  await spooler.start();
  return spooler;
}

export interface Smtp {
  url: string;
  mails: ParsedMail[];
  /** Rejected delivery attempts so far (while `refusing`). */
  refused: number;
  refusing: boolean;
  close(): Promise<void>;
}

/** An SMTP server on a free port; while `refusing` it answers 451 (try again later) to every message. */
export async function startSmtp(): Promise<Smtp> {
  const state: Smtp = { url: '', mails: [], refused: 0, refusing: false, close: async () => undefined };
  const sink = await listenSmtp(async (raw) => {
    if (state.refusing) {
      state.refused += 1;
      return Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
    }
    state.mails.push(await simpleParser(raw));
    return undefined;
  });
  state.url = sink.url;
  state.close = sink.close;
  return state;
}

/** The mails the server sent to one address, in arrival order. */
export const mailsOf = (smtp: Smtp, address: string): ParsedMail[] =>
  smtp.mails.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === address);

export interface MailSystem {
  smtp: Smtp;
  h: Harness;
  stop(): Promise<void>;
}

/** A server that mails through a real SMTP server, quickly (50 ms polls, 200 ms backoff), and a spooler that runs its jobs. */
export async function startMailSystem(overrides: Record<string, unknown> = {}): Promise<MailSystem> {
  const smtp = await startSmtp();
  const h = await startHarness({ QSPOOL_SMTP_URL: smtp.url, QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_NOTIFY_BACKOFF_MS: 200, ...overrides });
  const spooler = await startSpooler(h.storage);
  return {
    smtp,
    h,
    async stop() {
      await spooler.stop();
      await h.stop();
      await smtp.close();
    },
  };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP receiver answering the n-th request (0-based) with `answer(n)`: a status, 'hang' to never answer, or
 * 'trickle' to answer 200 and then send its body a byte at a time, never ending it.
 */
export async function startReceiver(answer: (n: number) => number | 'hang' | 'trickle' = () => 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = requests.length;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const status = answer(n);
      if (status === 'hang') return;
      if (status === 'trickle') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const trickle = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(trickle));
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SseConnection {
  status: number;
  /** The next message, or undefined once the stream has ended; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseMessage | undefined>;
  /** Messages until the stream ends. */
  rest(timeoutMs?: number): Promise<SseMessage[]>;
  close(): void;
}

/** Opens an event stream; once this resolves the server has subscribed (it answers only after subscribing). */
export async function openSse(url: string, token: string | undefined, lastEventId?: string): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  });
  const messages = response.ok && response.body ? readSse(response.body) : undefined;
  const next = async (timeoutMs = 10_000): Promise<SseMessage | undefined> => {
    if (!messages) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const result = await Promise.race([messages.next(), timeout]);
      return result.done ? undefined : result.value;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    status: response.status,
    next,
    async rest(timeoutMs = 10_000) {
      const all: SseMessage[] = [];
      for (let message = await next(timeoutMs); message; message = await next(timeoutMs)) all.push(message);
      return all;
    },
    close: () => abort.abort(),
  };
}

/** The `status` of each message's data. */
export const states = (messages: SseMessage[]) => messages.map((message) => (JSON.parse(message.data) as { status: string }).status);

/** An outbox key as a process whose clock is `aheadMs` ahead of this one's takes it. */
export const keyAhead = (aheadMs: number) => `${(Date.now() + aheadMs).toString(16).padStart(12, '0')}0000${randomBytes(4).toString('hex')}`;

/** A job's QUEUED event as another process records it in the outbox. */
export function queuedEvent(owner: string, jobId: string): JobEvent {
  return { id: `${jobId}-1`, jobId, backend: 'singlequdit', owner, state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: 'Queued.', errorMessage: null, requeued: false };
}
