// Webhooks: registrations per user in `webhooks/<owner>/<id>`, and deliveries as the Standard Webhooks specification
// describes them: a JSON body that is the same on every attempt, `webhook-id` (the event id, for deduplication),
// `webhook-timestamp` and a `v1` HMAC-SHA256 `webhook-signature` under a `whsec_` secret that the owner saw once.
// The secret is stored sealed (AES-256-GCM) under the server's secret key (server/auth/server-key.ts); one stored in
// plain text by an older qspool is sealed the first time it is read; one sealed under a previous key, by the re-seal
// after a key rotation (server/auth/sealed-secrets.ts).
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { EventState, JobEventView, WebhookPayload } from '../../schemas/notifications.ts';
import { ConflictError, NotFoundError, QuotaExceededError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { KeyedTurns } from '../limits/keyed-turns.ts';
import { RevisionCache } from '../../storage/revision-cache.ts';
import { eachKey } from '../../storage/registry/migrated-namespaces.ts';
import type { SealedKind } from '../../storage/registry/reseal.ts';
import { seal, unseal, type SealedLogin, type SecretKeysInput } from '../../storage/registry/secrets.ts';
import { USERS_NS } from '../services/users.ts';
import type { JobEvent } from '../../storage/records.ts';
import type { AddressPolicy } from './address-guard.ts';
import { postJson, type PostOutcome } from './http-post.ts';

export interface WebhookRecord {
  id: string;
  owner: string;
  url: string;
  events: EventState[];
  description: string | null;
  /** Kept to sign deliveries (HMAC needs the key itself); never shown again after creation. */
  secret: string;
  createdAt: string;
}

/** A webhook as stored: `secret` only in documents written before secrets were sealed. */
type StoredWebhook = Omit<WebhookRecord, 'secret'> & ({ sealedSecret: SealedLogin } | { secret: string });

export const MAX_WEBHOOKS_PER_USER = 20;
const WEBHOOKS_AREA = 'webhooks';
export const webhooksNs = (owner: string) => `${WEBHOOKS_AREA}/${owner}`;

/** Webhook signing secrets among the secrets a key rotation re-seals: every user's webhooks. */
export const webhookSecretKind: SealedKind<StoredWebhook> = {
  name: 'webhook-secret',
  async *documents(storage) {
    for await (const owner of eachKey(storage, USERS_NS)) {
      for await (const id of eachKey(storage, webhooksNs(owner))) yield [webhooksNs(owner), id];
    }
  },
  secret: (stored) => ('secret' in stored ? { plain: { secret: stored.secret } } : { sealed: stored.sealedSecret }),
  withSealed: (stored, sealedSecret) => {
    const { secret: _plain, sealedSecret: _old, ...rest } = stored as StoredWebhook & { secret?: string; sealedSecret?: SealedLogin };
    return { ...rest, sealedSecret };
  },
};

/** The job event as the API shows it (SSE `data:` and the webhook payload's `data`). */
export function eventView(event: JobEvent, baseUrl: string): JobEventView {
  return {
    event_id: event.id,
    job_id: event.jobId,
    backend: event.backend,
    status: event.state,
    seq: event.seq,
    attempts: event.attempts,
    at: event.at,
    detail: event.detail,
    error_message: event.errorMessage,
    requeued: event.requeued,
    url: `${baseUrl}/api/v1/jobs/${event.jobId}`,
  };
}

function webhookPayload(event: JobEvent, baseUrl: string): WebhookPayload {
  return { type: `job.${event.state.toLowerCase()}`, timestamp: event.at, data: eventView(event, baseUrl) };
}

export class WebhookStore {
  /** Each owner's webhooks while the store's `webhooks` area is unchanged, whichever process changes it. */
  private readonly lists: RevisionCache<WebhookRecord[]>;
  private readonly turns = new KeyedTurns();

  constructor(
    private readonly storage: StorageProvider,
    private readonly secretKeys: SecretKeysInput,
  ) {
    this.lists = new RevisionCache(storage, [WEBHOOKS_AREA]);
  }

  private stored(record: WebhookRecord): StoredWebhook {
    const { secret, ...rest } = record;
    return { ...rest, sealedSecret: seal({ secret }, this.secretKeys) };
  }

  /**
   * Registers a webhook within the owner's MAX_WEBHOOKS_PER_USER. Checking the count only before the write let
   * concurrent registrations all pass it (40 at once made 40 of 20): each one counts again after its own write and
   * withdraws when over. The last of any set of survivors to count saw all of them, so replicas never exceed the cap;
   * an owner's registrations to this process take turns, so only replicas racing can cost a needless 429.
   */
  create(owner: string, url: string, events: EventState[], description: string | null): Promise<WebhookRecord> {
    return this.turns.run(owner, () => this.createNow(owner, url, events, description));
  }

  private async createNow(owner: string, url: string, events: EventState[], description: string | null): Promise<WebhookRecord> {
    const full = () => new QuotaExceededError(`You have ${MAX_WEBHOOKS_PER_USER} webhooks, the most allowed; delete one first`, { limit: MAX_WEBHOOKS_PER_USER });
    const count = async (beyond: number) => (await this.storage.list(webhooksNs(owner), { limit: MAX_WEBHOOKS_PER_USER + beyond })).length;
    if ((await count(0)) >= MAX_WEBHOOKS_PER_USER) throw full();
    const record: WebhookRecord = {
      id: randomBytes(8).toString('hex'),
      owner,
      url,
      events,
      description,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      createdAt: new Date().toISOString(),
    };
    await this.storage.put(webhooksNs(owner), record.id, this.stored(record), { ifAbsent: true });
    if ((await count(1)) > MAX_WEBHOOKS_PER_USER) {
      await this.storage.delete(webhooksNs(owner), record.id);
      throw full();
    }
    return record;
  }

  async get(owner: string, id: string): Promise<WebhookRecord | undefined> {
    if (!/^[0-9a-f]{16}$/.test(id)) return undefined;
    const found = await this.storage.get<StoredWebhook>(webhooksNs(owner), id);
    if (!found) return undefined;
    if ('secret' in found.value) {
      const record = found.value;
      try {
        await this.storage.replace(webhooksNs(owner), id, this.stored(record), found.version);
      } catch (error) {
        // Deleted or sealed by another server meanwhile: either way nothing plain is left to seal.
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
      return record;
    }
    const { sealedSecret, ...rest } = found.value;
    return { ...rest, secret: String(unseal(sealedSecret, this.secretKeys).secret) };
  }

  async list(owner: string): Promise<WebhookRecord[]> {
    const ids = await this.storage.list(webhooksNs(owner), { limit: MAX_WEBHOOKS_PER_USER * 2 });
    const records = await Promise.all(ids.map((id) => this.get(owner, id)));
    return records.filter((record): record is WebhookRecord => record !== undefined);
  }

  /**
   * The owner's webhooks as they are now (frozen): the dispatcher asks once per event, and a webhook registered through
   * any server gets the events recorded after its registration was answered.
   */
  async cachedList(owner: string): Promise<readonly WebhookRecord[]> {
    return (await this.lists.get(owner, () => this.list(owner)))!;
  }

  async delete(owner: string, id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    return this.storage.delete(webhooksNs(owner), id);
  }
}

export interface WebhookSenderOptions {
  baseUrl: () => string;
  timeoutMs: number;
  policy: AddressPolicy;
  userAgent: string;
}

/** Signs and posts one delivery attempt. */
export class WebhookSender {
  constructor(private readonly options: WebhookSenderOptions) {}

  async send(hook: WebhookRecord, event: JobEvent): Promise<PostOutcome> {
    const body = JSON.stringify(webhookPayload(event, this.options.baseUrl()));
    const at = new Date();
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(hook.secret).sign(event.id, at, body),
      'user-agent': this.options.userAgent,
    };
    return postJson(hook.url, body, headers, this.options.timeoutMs, this.options.policy);
  }
}
