// An SMTP server for tests (smtp-server, no authentication, no TLS) on a free local port, handing each whole message
// to the caller, whose answer decides: nothing to accept it, an error (with an SMTP responseCode) to refuse it.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  close(): Promise<void>;
}

export type MessageHandler = (raw: Buffer) => Promise<Error | undefined> | Error | undefined;

export async function listenSmtp(onMessage: MessageHandler): Promise<SmtpSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        Promise.resolve()
          .then(() => onMessage(Buffer.concat(chunks)))
          .then((refusal) => callback(refusal ?? undefined), (error: Error) => callback(error));
      });
    },
  });
  // A sender killed mid-session (the cluster and crash tests SIGKILL servers while they send mail) resets its
  // connection, which smtp-server reports as an 'error' event: unhandled, it ended the whole test process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
