// Erasing an account: the user record and everything filed under its name, on the primary store and on every
// registered provider holding its jobs. It touches many documents and may be cut short (a crash, a storage outage),
// so it is done in an order that is safe to stop anywhere and to run again from the start:
//   1. the record is marked `deleting` (and disabled): from then on no credential of the account passes, nothing is
//      sent to it, and the name cannot be registered;
//   2. its jobs: queued and finished ones are removed with their results; a running one is cancelled through the
//      normal path (its spooler stops it) and removed by a later run once it has ended;
//   3. every per-user namespace (storage/registry/migrated-namespaces.ts), with the token records the listings point
//      to, its pending notifications, the queue quota count and fair-share clocks of the name, and the addresses
//      it logged in from;
//   4. the record, last, once the job index of the name is empty: until then a run says the deletion is in progress.
// Before step 1 a marker names the account (DELETIONS_NS): a run that ends in progress (jobs still running) or is cut
// short is finished later by the server without anyone asking (deletion-resumer.ts), and the marker goes after step 4.
// Without a record (erased by hand), the same steps clear what the earlier account left, on an admin's request only.
import { ConflictError, isRaceLoss, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { jobIdTime } from '../../storage/keys.ts';
import { DELETIONS_NS, QUOTA_NAMESPACE, retiredNamespace } from '../../storage/namespaces.ts';
import { type JobIndexEntry, ns } from '../../storage/records.ts';
import { keysOf, namespacesOfUser } from '../../storage/registry/migrated-namespaces.ts';
import { MAX_PRIORITY, scheduleNs } from '../../storage/schedule.ts';
import { idOfIndexKey } from '../../storage/sqooler/index-entry.ts';
import type { KnownAddresses } from '../limits/known-addresses.ts';
import { DeliveryStore } from '../notifications/deliveries.ts';
import { webhooksNs } from '../notifications/webhooks.ts';
import type { JobService } from './jobs.ts';
import type { SiteLookup } from './providers.ts';
import { TOKENS_NS, userTokensNs, type TokenListing } from './tokens.ts';
import { isUsername, type User, type UserService } from './users.ts';

/**
 * An index entry without its job this young may be a submission still being enqueued (the lifecycle writes the index
 * first): the deletion waits for it rather than drop the entry of a job that would then run unlisted.
 */
const ENQUEUE_SETTLE_MS = 10_000;

interface DeletionMarker {
  /** The account being deleted (null: one created before account ids existed). */
  accountId: string | null;
  startedAt: string;
}

const ignoreRaceLoss = (error: unknown) => {
  if (!isRaceLoss(error)) throw error;
};

export interface DeletionOutcome {
  /** The account and all its data are gone. False: jobs are still running (cancel requested) or being submitted. */
  done: boolean;
  /** Jobs of the account still to be removed. */
  remaining: number;
}

export class AccountDeletion {
  constructor(
    private readonly sites: SiteLookup,
    private readonly users: UserService,
    private readonly jobs: JobService,
    private readonly knownAddresses: KnownAddresses,
  ) {}

  private get storage(): StorageProvider {
    return this.sites.primary.storage;
  }

  /** One run of the deletion (see above); NotFoundError when there is neither a user nor anything left of one. */
  async delete(username: string): Promise<DeletionOutcome> {
    // Never a user's name, nor part of a namespace: `/` or `..` would name other namespaces than the user's.
    if (!isUsername(username)) throw new NotFoundError(`No user ${JSON.stringify(username)}`);
    return this.run(username, await this.users.getUser(username));
  }

  /**
   * The next run of a deletion begun earlier, if its account is still the one being deleted; a marker that names no
   * such account any more (the deletion finished, or never got to its mark) is dropped. Undefined when nothing ran.
   */
  async resume(username: string): Promise<DeletionOutcome | undefined> {
    const marker = await this.storage.get<DeletionMarker>(DELETIONS_NS, username);
    if (!marker) return undefined;
    const user = await this.users.getUser(username);
    if (user?.deleting && (user.accountId ?? null) === marker.value.accountId) return this.run(username, user, true);
    await this.storage.delete(DELETIONS_NS, username, marker.version).catch(ignoreRaceLoss);
    return undefined;
  }

  /**
   * Names the accounts of the deletions that want to go on (after `after` in key order), each marker one key, so a
   * store lists them at once.
   */
  pending(limit: number, after?: string): Promise<string[]> {
    return this.storage.list(DELETIONS_NS, after === undefined ? { limit } : { limit, after });
  }

  /** `resumed`: the marker is there already (a resumed run), so it is not written again each run. */
  private async run(username: string, user: User | undefined, resumed = false): Promise<DeletionOutcome> {
    if (user && !resumed) {
      const marker: DeletionMarker = { accountId: user.accountId ?? null, startedAt: new Date().toISOString() };
      await this.storage.put(DELETIONS_NS, username, marker);
    }
    const marked = await this.users.beginDeletion(username, user);
    if (!marked && (await this.isBare(username))) {
      throw new NotFoundError(`No user ${username}, and nothing left of one`);
    }
    const remaining = await this.removeJobs(username);
    await this.clearNamespaces(username);
    // An entry that appeared while this ran (a request authenticated before the mark, whose job withdraws itself
    // after its enqueue: JobService.enqueue) keeps the deletion in progress until it is gone.
    const indexed = (await this.storage.list(ns.ownerIndex(username), { limit: 1 })).length;
    if (remaining > 0 || indexed > 0) return { done: false, remaining: Math.max(remaining, indexed) };
    await this.users.removeDeleted(username);
    await this.dropMarker(username, user);
    return { done: true, remaining: 0 };
  }

  /**
   * The marker of the account this run deleted. Once its record is gone the name is free: a marker naming another
   * account is that account's deletion under way, and stays for the server to finish (resume drops one naming none).
   */
  private async dropMarker(username: string, user: User | undefined): Promise<void> {
    const marker = await this.storage.get<DeletionMarker>(DELETIONS_NS, username);
    if (!marker || marker.value.accountId !== (user?.accountId ?? null)) return;
    await this.storage.delete(DELETIONS_NS, username, marker.version).catch(ignoreRaceLoss);
  }

  /** No namespace of the name holds anything (token listings and logs too, not only what registration refuses over). */
  private async isBare(username: string): Promise<boolean> {
    for (const namespace of await namespacesOfUser(this.storage, username)) {
      if ((await this.storage.list(namespace, { limit: 1 })).length > 0) return false;
    }
    return true;
  }

  /** Removes the account's jobs that can go now; how many cannot yet (running, or still being enqueued). */
  private async removeJobs(username: string): Promise<number> {
    const owner: User = { username, role: 'user', disabled: true, createdAt: '' };
    let remaining = 0;
    for await (const keys of keysOf(this.storage, ns.ownerIndex(username))) {
      for (const key of keys) if (!(await this.removeJob(owner, key))) remaining += 1;
    }
    return remaining;
  }

  /** True once the job of the owner-index key is gone (or never was). */
  private async removeJob(owner: User, key: string): Promise<boolean> {
    const id = idOfIndexKey(key);
    const job = await this.jobs.byId(owner, id);
    if (!job) {
      if (Date.now() - jobIdTime(key) < ENQUEUE_SETTLE_MS) return false;
      await this.dropIndexEntries(owner.username, key, id);
      return true;
    }
    if (job.state !== 'RUNNING') {
      try {
        await this.jobs.purge(job);
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    // Running, or claimed by a spooler since it was read: cancelled through the normal path, removed by a later run.
    await this.jobs.cancel(job).catch(ignoreRaceLoss);
    return false;
  }

  /** The index entries of a job that is nowhere (purged half-way, or its provider removed). */
  private async dropIndexEntries(username: string, key: string, id: string): Promise<void> {
    const entry = await this.storage.get<JobIndexEntry>(ns.jobIndex, id);
    if (entry?.value.owner === username) await this.storage.delete(ns.jobIndex, id, entry.version);
    await this.storage.delete(ns.ownerIndex(username), key);
  }

  /** Every per-user namespace but the job index (emptied job by job), then the state kept by name elsewhere. */
  private async clearNamespaces(username: string): Promise<void> {
    // The token records first: their listings are the only way to find them.
    for await (const ids of keysOf(this.storage, userTokensNs(username))) {
      for (const id of ids) {
        const listing = await this.storage.get<TokenListing>(userTokensNs(username), id);
        if (listing) await this.storage.delete(TOKENS_NS, listing.value.hash);
      }
    }
    // Pending notifications: to the account's mailbox, and to its webhooks while they can still be listed.
    const deliveries = new DeliveryStore(this.storage);
    await deliveries.discardAll({ kind: 'mail', name: username });
    for (const namespace of [webhooksNs(username), retiredNamespace(username)]) {
      for await (const hooks of keysOf(this.storage, namespace)) for (const hook of hooks) await deliveries.discardAll({ kind: 'hook', name: hook });
    }
    // Webhook delivery logs come before the webhooks and retirement markers that name them.
    const namespaces = (await namespacesOfUser(this.storage, username)).filter((namespace) => namespace !== ns.ownerIndex(username)).reverse();
    for (const namespace of namespaces) await this.empty(namespace);
    await this.storage.delete(QUOTA_NAMESPACE, username);
    await this.knownAddresses.forget(username);
    await this.sites.each(async (site) => {
      for (const backend of await site.storage.list(ns.configs)) {
        for (let band = 0; band <= MAX_PRIORITY; band += 1) await site.storage.delete(scheduleNs.users(backend, band), username);
      }
    }, { includeInactive: true });
  }

  private async empty(namespace: string): Promise<void> {
    for (;;) {
      const keys = await this.storage.list(namespace, { limit: 1000 });
      for (const key of keys) await this.storage.delete(namespace, key);
      if (keys.length < 1000) return;
    }
  }
}
