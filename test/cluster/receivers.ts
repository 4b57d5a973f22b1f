// The subscribers of the cluster test: one SMTP server (smtp-server, as the notification tests use) and one webhook
// receiver, both answering success at once and recording every arrival with its idempotency id (a mail's
// Message-ID `<event id@qspool>`, a webhook's `webhook-id` header, both the event id) and its time. Counting per id
// is how "delivered once per subscriber" is judged: every job event has one owner, who has one mailbox and one hook.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenSmtp } from '../support/smtp-sink.ts';

export interface Arrival {
  id: string;
  /** The mail's recipient, or the webhook's path. */
  to: string;
  at: number;
}

export interface Receivers {
  smtpUrl: string;
  hookUrl(user: string): string;
  mails: Arrival[];
  hooks: Arrival[];
  close(): Promise<void>;
}

const MESSAGE_ID = /^message-id:\s*<([^@>]+)@qspool>/im;
const RECIPIENT = /^to:\s*(\S+)/im;

export async function startReceivers(): Promise<Receivers> {
  const mails: Arrival[] = [];
  const hooks: Arrival[] = [];
  const smtp = await listenSmtp((raw) => {
    const head = raw.toString().split(/\r?\n\r?\n/)[0] ?? '';
    mails.push({ id: MESSAGE_ID.exec(head)?.[1] ?? '(no message-id)', to: RECIPIENT.exec(head)?.[1] ?? '', at: Date.now() });
    return undefined;
  });
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hooks.push({ id: String(req.headers['webhook-id'] ?? '(no webhook-id)'), to: req.url ?? '', at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const hookPort = (http.address() as AddressInfo).port;
  return {
    smtpUrl: smtp.url,
    hookUrl: (user) => `http://127.0.0.1:${hookPort}/hook/${user}`,
    mails,
    hooks,
    close: async () => {
      http.closeAllConnections();
      await Promise.all([new Promise((resolve) => http.close(resolve)), smtp.close()]);
    },
  };
}
