// E-mail notifications over SMTP (nodemailer). A mail names the job, its backend, the new state, what the change
// said (or the error) and a link to the job; never a token, a payload or anything else from storage.
import nodemailer, { type Transporter } from 'nodemailer';
import type { JobEvent } from '../../storage/records.ts';

export interface MailMessage {
  subject: string;
  text: string;
}

export interface SendOutcome {
  ok: boolean;
  error: string | null;
  durationMs: number;
}

export function composeMail(event: JobEvent, jobUrl: string): MailMessage {
  const state = event.requeued ? 'QUEUED again' : event.state;
  const lines = [
    `Your job ${event.jobId} on ${event.backend} is now ${state}.`,
    '',
    `Job:     ${event.jobId}`,
    `Backend: ${event.backend}`,
    `State:   ${state} (at ${event.at})`,
    event.errorMessage ? `Error:   ${event.errorMessage}` : `Detail:  ${event.detail}`,
    '',
    `Details and result: ${jobUrl}`,
    '',
    'You get this mail because of the job\'s notify setting or your profile\'s default (PATCH /api/v1/users/me with',
    '{"notify": {"email": []}} turns these mails off).',
  ];
  return { subject: `[qspool] job ${event.jobId} ${state} on ${event.backend}`, text: lines.join('\n') };
}

/** The mail that checks an address is its user's: the code, and a link to the page that sends it back. */
export function composeEmailCheck(username: string, baseUrl: string, code: string): MailMessage {
  const lines = [
    `This address was given for the qspool account ${username} at ${baseUrl}.`,
    '',
    'To get that account\'s job mails here, open this link while logged in as that user and confirm:',
    `${baseUrl}/verify-email?code=${code}`,
    '',
    `(or send {"code": "${code}"} to POST /api/v1/users/me/email/confirm). The code works for 24 hours.`,
    '',
    'If this was not you, ignore this mail: no job mails come to this address unless the code is used.',
  ];
  return { subject: `[qspool] confirm your e-mail address for ${username}`, text: lines.join('\n') };
}

export interface MailerOptions {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
}

export class Mailer {
  private readonly transport: Transporter;

  constructor(private readonly options: MailerOptions) {
    this.transport = nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    });
  }

  /**
   * One attempt, over within the timeout. nodemailer's own timeouts bound each wait for the server, not the exchange:
   * a server answering a byte at a time held a send, and the worker's task for that mailbox, for ever. Given up, the
   * attempt is retried later; should the abandoned one still get through, the stable Message-ID folds the two.
   */
  async send(to: string, message: MailMessage, eventId: string): Promise<SendOutcome> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    try {
      // The event id as Message-ID lets a mail client fold a duplicate (at-least-once delivery) into one.
      const sending = this.transport.sendMail({ from: this.options.from, to, subject: message.subject, text: message.text, messageId: `<${eventId}@qspool>` });
      await Promise.race([sending, timeout]);
      return { ok: true, error: null, durationMs: Date.now() - started };
    } catch (error) {
      return { ok: false, error: (error as Error).message, durationMs: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.transport.close();
  }
}
