// Taking over an existing qlued deployment's storage: the provider is registered with its qlued login dict as it is
// and the sqooler layout, under the same name (so qlued's full backend names, `<name>_<display>_<kind>`, keep
// working), and the jobs already there are entered in the server's job index, so their owners find them in their
// job lists and read their status and results. On Dropbox every job's id names the qlued user who posted it
// (./ids.ts), who becomes the qspool user the operator maps them to, or the qspool user of the same name. qlued keeps
// no record of who posted a job to a local or MongoDB provider (its documents and ids name no user), so those jobs,
// and those of qlued users nobody maps, go to the one qspool user the operator names, if any.
import { isDisplayName } from '../../schemas/backend-config.ts';
import { ConflictError, InvalidKeyError } from '../../schemas/errors.ts';
import { type JobIndexEntry, ns } from '../records.ts';
import type { NewProvider, ProviderRegistry } from '../registry/index.ts';
import { qluedJobId } from './ids.ts';
import { indexKey } from './index-entry.ts';
import { SqoolerView } from './view.ts';

export interface QluedImport {
  /** qlued's StorageProviderDb entry: name, storage_type, login (unchanged), owner and description. */
  provider: Omit<NewProvider, 'layout'>;
  /** The qspool user who owns the jobs no qlued user is known or mapped for. */
  owner?: string;
  /** qlued usernames to qspool users. */
  users?: Record<string, string>;
  /** Whether a qspool user of this name exists: an unmapped qlued user's jobs go to the namesake. */
  isUser(name: string): Promise<boolean>;
}

export interface QluedImportReport {
  provider: string;
  backends: string[];
  /** Jobs entered in the index now; ones indexed by an earlier run are counted as `known`. */
  indexed: number;
  known: number;
  /** Jobs left out, by the qlued user who posted them ("" where qlued recorded none): nobody to give them to. */
  unowned: Record<string, number>;
  /** Jobs left out because no store takes their id as a key (a qlued username with `@` or `+`; ./index-entry.ts). */
  unindexable: string[];
}

/** Registers the provider (or takes the one an earlier, interrupted run registered) and indexes its jobs. */
export async function importQlued(registry: ProviderRegistry, request: QluedImport): Promise<QluedImportReport> {
  const { name } = request.provider;
  try {
    await registry.add({ ...request.provider, layout: 'sqooler' });
  } catch (error) {
    if (!(error instanceof ConflictError && (await registry.summary(name)).layout === 'sqooler')) throw error;
  }
  const view = await registry.open(name);
  if (!(view instanceof SqoolerView)) throw new InvalidKeyError(`${name} is not a sqooler-layout provider`);
  const backends = (await view.list(ns.configs)).filter(isDisplayName);
  const report: QluedImportReport = { provider: name, backends, indexed: 0, known: 0, unowned: {}, unindexable: [] };
  const ownerOf = ownership(request);
  for (const display of backends) {
    // Every job qlued took has a status document under its backend, whichever folder the job is in now.
    const ids = await view.paths.ids(view.documents, 'status', display);
    for (const id of ids) {
      const key = indexKey(id);
      if (key === undefined) {
        report.unindexable.push(id);
        continue;
      }
      if (await view.index.storage.get(ns.jobIndex, key)) {
        report.known += 1;
        continue;
      }
      const old = qluedJobId(id);
      const qluedUser = old?.username ?? '';
      const owner = await ownerOf(qluedUser);
      if (owner === undefined) {
        report.unowned[qluedUser] = (report.unowned[qluedUser] ?? 0) + 1;
        continue;
      }
      const meta = { imported_from: 'qlued', ...(old ? { qlued_user: old.username } : {}) };
      const entry: JobIndexEntry = { backend: display, owner, provider: name, createdAt: old?.createdAt ?? new Date().toISOString(), meta };
      // Owner index first: an interrupted run leaves a job listed for its owner but not yet marked known, and the
      // rerun writes both again.
      await view.index.storage.put(ns.ownerIndex(owner), key, entry);
      await view.index.storage.put(ns.jobIndex, key, entry);
      report.indexed += 1;
    }
  }
  return report;
}

/** The qspool owner of a qlued user's jobs: as mapped, else the namesake, else the fallback owner (if any). */
function ownership(request: QluedImport): (qluedUser: string) => Promise<string | undefined> {
  const found = new Map<string, Promise<string | undefined>>();
  const resolve = async (qluedUser: string) => {
    const mapped = request.users?.[qluedUser];
    if (mapped !== undefined) return mapped;
    if (qluedUser && (await request.isUser(qluedUser))) return qluedUser;
    return request.owner;
  };
  return (qluedUser) => {
    if (!found.has(qluedUser)) found.set(qluedUser, resolve(qluedUser));
    return found.get(qluedUser)!;
  };
}
