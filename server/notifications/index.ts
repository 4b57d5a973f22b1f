// Notifications in one server process: the live event feeds (for Server-Sent Events), the dispatcher that turns
// outbox events into e-mails and webhook calls (one server at a time), the webhook registry, and the open event
// streams, which end when the server stops. Events come from the outbox of every provider that holds jobs
// (sources.ts); webhooks, deliveries and the dispatcher's lease and cursors are on the server's own storage.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../config/logger.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import type { SecretKeysInput } from '../../storage/registry/secrets.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { MailUnavailableError, StorageUnavailableError } from '../../schemas/errors.ts';
import type { UserService } from '../services/users.ts';
import type { AddressPolicy } from './address-guard.ts';
import { type Delivery, DeliveryStore } from './deliveries.ts';
import { Dispatcher } from './dispatcher.ts';
import { fanOut } from './fanout.ts';
import { FeedSet } from './feeds.ts';
import { composeEmailCheck, composeMail, Mailer } from './mail.ts';
import { type OutboxEntry, scanEvents } from './outbox.ts';
import { accepted, type EventSources } from './sources.ts';
import { StreamSlots } from './stream-guard.ts';
import { WebhookSender, WebhookStore } from './webhooks.ts';
import { type AttemptResult, DeliveryWorker } from './worker.ts';

export interface NotificationsOptions {
  storage: StorageProvider;
  config: Config;
  logger: Logger;
  users: UserService;
  version: string;
  /** Every outbox to read, the server's own included. */
  sources: EventSources;
  /** Seal webhook secrets at rest (server/auth/server-key.ts). */
  secretKeys: SecretKeysInput;
}

export class Notifications {
  readonly feed: FeedSet;
  readonly webhooks: WebhookStore;
  readonly deliveries: DeliveryStore;
  readonly dispatcher: Dispatcher;
  readonly addressPolicy: AddressPolicy;
  readonly keepAliveMs: number;
  readonly settleMs: number;
  /** Open event streams per user (QSPOOL_SSE_MAX_PER_USER), and how often each re-checks its credential. */
  readonly streamSlots: StreamSlots;
  readonly authCheckMs: number;
  private readonly mailer: Mailer | undefined;
  private readonly streams = new Set<() => void>();
  private readonly log: Logger;
  private base: string;
  /** Set by close(): event streams asked for after it end at once. */
  private closing = false;

  constructor(private readonly options: NotificationsOptions) {
    const { storage, config, logger, users, sources } = options;
    const log = logger.child({ component: 'notifications' });
    this.log = log;
    this.base = config.QSPOOL_BASE_URL;
    this.keepAliveMs = config.QSPOOL_SSE_KEEPALIVE_MS;
    this.settleMs = config.QSPOOL_NOTIFY_SETTLE_MS;
    this.streamSlots = new StreamSlots(config.QSPOOL_SSE_MAX_PER_USER);
    this.authCheckMs = config.QSPOOL_SSE_AUTH_CHECK_MS;
    this.addressPolicy = { allowPrivate: config.QSPOOL_WEBHOOK_ALLOW_PRIVATE };
    this.feed = new FeedSet(sources, { pollMs: config.QSPOOL_NOTIFY_POLL_MS, settleMs: config.QSPOOL_NOTIFY_SETTLE_MS, log });
    this.webhooks = new WebhookStore(storage, options.secretKeys);
    this.deliveries = new DeliveryStore(storage);
    this.mailer = config.QSPOOL_SMTP_URL
      ? new Mailer({ smtpUrl: config.QSPOOL_SMTP_URL, from: config.QSPOOL_MAIL_FROM, timeoutMs: config.QSPOOL_WEBHOOK_TIMEOUT_MS })
      : undefined;
    const sender = new WebhookSender({
      baseUrl: () => this.baseUrl,
      timeoutMs: config.QSPOOL_WEBHOOK_TIMEOUT_MS,
      policy: this.addressPolicy,
      userAgent: `qspool/${options.version}`,
    });
    const deliver = async (delivery: Delivery): Promise<AttemptResult> => {
      const { receiver, event } = delivery;
      // A disabled account hears of nothing, by mail or by webhook: its owner may have left, or whoever stole its
      // credentials may have registered the webhooks. Disabling is how an operator silences it at once.
      const owner = await users.getUser(receiver.owner);
      if (!owner || owner.disabled) return { drop: 'the owner\'s account is disabled or gone', log: true };
      if (receiver.kind === 'hook') {
        const hook = await this.webhooks.get(receiver.owner, receiver.name);
        return hook ? sender.send(hook, event) : { drop: 'the webhook was deleted', log: false };
      }
      if (!this.mailer) return { drop: 'e-mail is off (no QSPOOL_SMTP_URL)', log: true };
      if (!owner.email) return { drop: 'the user has no e-mail address', log: true };
      if (owner.emailVerified === false) return { drop: 'the user has not confirmed the e-mail address', log: true };
      const sent = await this.mailer.send(owner.email, composeMail(event, `${this.baseUrl}/api/v1/jobs/${event.jobId}`), event.id);
      return { ...sent, statusCode: null };
    };
    const policy = { baseMs: config.QSPOOL_NOTIFY_BACKOFF_MS, maxMs: config.QSPOOL_NOTIFY_MAX_BACKOFF_MS, retryMs: config.QSPOOL_NOTIFY_RETRY_MS };
    this.dispatcher = new Dispatcher(storage, {
      holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      leaseMs: config.QSPOOL_NOTIFY_LEASE_MS,
      pollMs: config.QSPOOL_NOTIFY_POLL_MS,
      settleMs: config.QSPOOL_NOTIFY_SETTLE_MS,
      retentionMs: config.QSPOOL_EVENTS_RETENTION_S * 1000,
      fanOut: fanOut({ deliveries: this.deliveries, webhooks: this.webhooks, getUser: (name) => users.getUser(name), mailEnabled: this.mailer !== undefined, log }),
      // A claimed attempt outlives any send (each times out after QSPOOL_WEBHOOK_TIMEOUT_MS) with room to record it.
      worker: new DeliveryWorker(this.deliveries, deliver, policy, log, { claimMs: 2 * config.QSPOOL_WEBHOOK_TIMEOUT_MS }),
      log,
      sources,
    });
    if (this.mailer) log.info({ from: config.QSPOOL_MAIL_FROM }, 'e-mail notifications on');
    else log.info('e-mail notifications off: set QSPOOL_SMTP_URL (smtp://user:password@host:587) to send them');
  }

  /** Whether mails can be sent (QSPOOL_SMTP_URL is set). */
  get mailEnabled(): boolean {
    return this.mailer !== undefined;
  }

  /** Mails the code that confirms `address` for `username`; MailUnavailableError when it could not be sent. */
  async mailEmailCheck(username: string, address: string, code: string): Promise<void> {
    if (!this.mailer) throw new MailUnavailableError('E-mail is off on this server (no QSPOOL_SMTP_URL)');
    const sent = await this.mailer.send(address, composeEmailCheck(username, this.baseUrl, code), `email-check-${randomBytes(8).toString('hex')}`);
    if (!sent.ok) {
      this.log.warn({ user: username, error: sent.error }, 'e-mail check not sent');
      throw new MailUnavailableError('The mail server did not take the mail; ask again in a minute');
    }
  }

  /** Where links in mails and events point: QSPOOL_BASE_URL, or the address the server listens on. */
  get baseUrl(): string {
    return this.base;
  }

  start(listenUrl: string): void {
    if (!this.base) this.base = listenUrl;
    this.feed.start();
    // A changed outbox wakes the dispatcher at once; its own poll covers storages that cannot say so.
    this.feed.onChange(() => this.dispatcher.wake());
    this.dispatcher.start();
  }

  /**
   * Outbox events after `after` that pass `filter`, for streams resuming from a Last-Event-ID (a bounded scan of each
   * outbox), merged in key order. When an outbox holds more than one scan reads, `until` is the key this replay
   * reached in every outbox: a caller going on with a replay after `until` takes only the entries up to it.
   */
  async replay(after: string, filter: (event: JobEvent) => boolean): Promise<{ entries: OutboxEntry[]; until?: string }> {
    const scans = await Promise.all(
      (await this.options.sources()).map(async (source) => {
        try {
          const scan = await scanEvents(source.storage, after, filter);
          return { entries: await accepted(source, scan.entries), ...(scan.complete ? {} : { until: scan.last }) };
        } catch (error) {
          // An unreachable lab leaves its part of the replay out rather than failing everyone's stream.
          if (source.primary || !(error instanceof StorageUnavailableError)) throw error;
          return { entries: [] };
        }
      }),
    );
    const until = scans.reduce<string | undefined>((least, scan) => (scan.until !== undefined && (least === undefined || scan.until < least) ? scan.until : least), undefined);
    const entries = scans.flatMap((scan) => scan.entries).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, ...(until === undefined ? {} : { until }) };
  }

  /** Whether an outbox holds an event under `key` (a registered provider that cannot be read just now holds none). */
  async recorded(key: string): Promise<boolean> {
    const found = await Promise.all(
      (await this.options.sources()).map(async (source) => {
        try {
          return (await source.storage.get(ns.events, key)) !== undefined;
        } catch (error) {
          if (source.primary || !(error instanceof StorageUnavailableError)) throw error;
          return false;
        }
      }),
    );
    return found.includes(true);
  }

  /**
   * Registers an open event stream; `end` runs when the server stops, or at once when it is stopping already (a client
   * that reconnected on a connection still open to it is sent on). Returns the deregistration.
   */
  trackStream(end: () => void): () => void {
    if (this.closing) {
      end();
      return () => undefined;
    }
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const end of [...this.streams]) end();
    this.streams.clear();
    this.feed.close();
    await this.dispatcher.close();
    this.mailer?.close();
  }
}
