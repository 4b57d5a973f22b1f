// Jobs whose documents a spooler set aside as damaged before set-asides wrote a stand-in (storage/damaged.ts) still
// say QUEUED or RUNNING in their status, and on a store with transactions listings take a status at its word: such a
// job was listed QUEUED until someone opened it by id, which writes its stand-in. Every set-aside since writes its
// stand-in itself (or, without transactions, the next read of its lagging status does), so what is left over is
// written once, when the server starts: damaged documents are few (an operator's to inspect and delete), and listings
// keep their cost.
import { isDisplayName } from '../../schemas/backend-config.ts';
import type { Logger } from '../../config/logger.ts';
import { isJobId } from '../../storage/keys.ts';
import { FINAL_STATES, ns } from '../../storage/records.ts';
import type { ProviderSite, SiteLookup } from './providers.ts';

const PAGE = 1000;

/** Writes the stand-ins one backend's set-aside documents still lack; how many it wrote. */
async function standInOn(site: ProviderSite, backend: string): Promise<number> {
  let written = 0;
  for (let after: string | undefined; ; ) {
    const keys = await site.storage.list(ns.damaged(backend), { limit: PAGE, ...(after ? { after } : {}) });
    for (const id of keys.filter(isJobId)) {
      const status = await site.lifecycle.getStatus(backend, id);
      if (!status || FINAL_STATES.includes(status.status)) continue;
      if ((await site.lifecycle.find(backend, id))?.value.setAside) written += 1;
    }
    if (keys.length < PAGE) return written;
    after = keys[keys.length - 1];
  }
}

/**
 * Writes the missing stand-ins on every provider, deactivated ones too. A registered provider that cannot be read now
 * is passed over (its jobs get theirs when opened by id, or at the next start); the primary's failure is logged.
 */
export async function standInSetAside(sites: SiteLookup, log: Logger): Promise<void> {
  try {
    const perProvider = await sites.each(async (site) => {
      const backends = (await site.storage.list(ns.configs)).filter(isDisplayName);
      let written = 0;
      for (const backend of backends) written += await standInOn(site, backend);
      return written;
    }, { includeInactive: true });
    const written = perProvider.reduce((sum, count) => sum + count, 0);
    if (written > 0) log.info({ jobs: written }, 'jobs set aside as damaged without a stand-in now end ERROR');
  } catch (error) {
    log.error({ err: error }, 'could not look for jobs set aside as damaged without a stand-in; opening one by id ends it ERROR');
  }
}
