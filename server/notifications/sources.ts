// The outboxes notifications read. The lifecycle appends a job's events to the storage of the transition, so the
// events of a job on a registered provider are in that provider's outbox (its spoolers write them there): the
// server reads its own outbox and the outbox of every active registered provider.
import type { StorageProvider } from '../../storage/contract.ts';
import { isJobId } from '../../storage/keys.ts';
import { type JobEvent, type JobIndexEntry, ns } from '../../storage/records.ts';
import type { SiteLookup } from '../services/providers.ts';
import type { OutboxEntry } from './outbox.ts';

export interface EventSource {
  /** The provider's name. */
  name: string;
  /** The server's own storage, whose dispatcher cursor predates the other sources' (and keeps its key). */
  primary: boolean;
  storage: StorageProvider;
  /** Whether an event read here may be believed (see indexedOn). */
  accepts(event: JobEvent): Promise<boolean>;
}

export type EventSources = () => Promise<EventSource[]>;

/** The only source of a server without registered providers, and of tests that exercise one outbox. */
export function primarySource(storage: StorageProvider, name = 'primary'): EventSource {
  return { name, primary: true, storage, accepts: async () => true };
}

/**
 * Whether the primary's id index says the event's job is on this provider, for this owner and backend. A lab can
 * write anything into its own storage; this keeps it from having the server mail or call the webhooks of users
 * whose jobs it does not hold, or stream made-up changes to them.
 */
async function indexedOn(primary: StorageProvider, provider: string, event: JobEvent): Promise<boolean> {
  if (!isJobId(event.jobId)) return false;
  const entry = (await primary.get<JobIndexEntry>(ns.jobIndex, event.jobId))?.value;
  return entry?.provider === provider && entry.owner === event.owner && entry.backend === event.backend;
}

/** The primary's outbox, always (its own jobs' events), and those of the active registered providers. */
export function siteSources(sites: SiteLookup): EventSources {
  const primary = primarySource(sites.primary.storage, sites.primaryName);
  return async () => {
    const others = (await sites.each(async (site) => site)).filter((site) => !site.primary);
    return [
      primary,
      ...others.map((site) => ({
        name: site.name,
        primary: false,
        storage: site.storage,
        accepts: (event: JobEvent) => indexedOn(sites.primary.storage, site.name, event),
      })),
    ];
  };
}

/** The entries a source vouches for, in their order. */
export async function accepted(source: EventSource, entries: OutboxEntry[]): Promise<OutboxEntry[]> {
  const verdicts = await Promise.all(entries.map((entry) => source.accepts(entry.event)));
  return entries.filter((_, i) => verdicts[i]);
}
