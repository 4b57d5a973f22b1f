// Where each of sqooler's storage providers keeps each document (their `get_attribute_path` and `get_attribute_id`,
// Alqor-UG/sqooler ebe718e, storage_providers/local.py and dropbox.py), for a job known by its qspool id, backend and
// owner. Local names a job by its id; Dropbox by `<YYYYmmdd_HHMMSS>-<display>-<username>-<suffix>`, and sqooler's
// Dropbox spoolers read the username back out of that id (`job_id.split("-")[2]`) to find the status and result
// folders. qspool writes its own 24-hex id as the suffix, so the name and the id determine each other.
import { InvalidKeyError } from '../../schemas/errors.ts';
import { isJobId, jobIdTime } from '../keys.ts';
import { qluedJobId } from './ids.ts';
import type { DocumentAddress, SqoolerDocuments } from './layout.ts';

export type Place = 'queued' | 'running' | 'finished' | 'deleted';
export const PLACES: readonly Place[] = ['queued', 'running', 'finished', 'deleted'];

/** A document: its folder and its name without `.json`. */
export type Address = DocumentAddress;

export interface JobKey {
  display: string;
  id: string;
  owner: string;
}

export interface SqoolerPaths {
  /** The id sqooler's documents and spoolers know the job by. */
  jobId(key: JobKey): string;
  config(display: string): Address;
  /** A published public key, by its `kid`. */
  publicKey(kid: string): Address;
  /** The backends whose spoolers published a config. */
  backends(documents: SqoolerDocuments): Promise<string[]>;
  job(place: Place, key: JobKey): Address;
  status(key: JobKey): Address;
  /** Where a job older than sqooler's None folder keeps its status, if it may be elsewhere (see ./ids.ts). */
  olderStatus(key: JobKey): Address | undefined;
  result(key: JobKey): Address;
  /**
   * Whether a job's address in the place tells its backend. Where it does not (local's running and deleted folders
   * hold every backend's jobs under their bare ids), a job there is the backend's whose status folder has it.
   */
  namesBackend(place: Place): boolean;
  /** The qspool ids of one backend's jobs in a place, or with a status or a result document. */
  ids(documents: SqoolerDocuments, kind: Place | 'status' | 'results', display: string): Promise<string[]>;
  /**
   * qspool's own spooler's lease on a job it claimed, and the attempts a job used before its lease expired: in a
   * `qspool` folder of their own, where sqooler's code never looks.
   */
  lease(key: JobKey): Address;
  attempts(key: JobKey): Address;
  /** The folder of qspool's own where `qspool storage test` makes its round trip (./probe.ts). */
  readonly probe: string;
  /** The jobs a backend's queue holds that qspool can address (its own ids), oldest first. */
  queued(documents: SqoolerDocuments, display: string): Promise<JobKey[]>;
  /** The jobs of a backend that have a lease document. */
  leased(documents: SqoolerDocuments, display: string): Promise<JobKey[]>;
  /** Refuses an owner this layout cannot put into its paths. */
  assertOwner(owner: string): void;
  /** Whether a job can be found only knowing its owner (whose name is in its paths). */
  readonly needsOwner: boolean;
}

const onlyIds = (names: string[]) => names.filter(isJobId);

export const localPaths: SqoolerPaths = {
  jobId: ({ id }) => id,
  config: (display) => ({ path: 'backends/configs', name: display }),
  publicKey: (kid) => ({ path: 'backends/public_keys', name: kid }),
  backends: (documents) => documents.list('backends/configs'),
  job(place, { display, id }) {
    const path = { queued: `jobs/queued/${display}`, running: 'jobs/running', finished: `jobs/finished/${display}`, deleted: 'jobs/deleted' }[place];
    return { path, name: id };
  },
  status: ({ display, id }) => ({ path: `status/${display}`, name: id }),
  olderStatus: () => undefined,
  result: ({ display, id }) => ({ path: `results/${display}`, name: id }),
  namesBackend: (place) => place === 'queued' || place === 'finished',
  lease: ({ display, id }) => ({ path: `qspool/leases/${display}`, name: id }),
  attempts: ({ display, id }) => ({ path: `qspool/attempts/${display}`, name: id }),
  probe: 'qspool/probe',
  queued: async (documents, display) => (await localPaths.ids(documents, 'queued', display)).sort().map((id) => ({ display, id, owner: '' })),
  leased: async (documents, display) => onlyIds(await documents.list(`qspool/leases/${display}`)).map((id) => ({ display, id, owner: '' })),
  async ids(documents, kind, display) {
    const key = { display, id: '', owner: '' };
    if (kind === 'status') return onlyIds(await documents.list(localPaths.status(key).path));
    if (kind === 'results') return onlyIds(await documents.list(localPaths.result(key).path));
    const ids = onlyIds(await documents.list(localPaths.job(kind, key).path));
    if (localPaths.namesBackend(kind)) return ids;
    const mine = new Set(await documents.list(localPaths.status(key).path));
    return ids.filter((id) => mine.has(id));
  },
  assertOwner: () => undefined,
  needsOwner: false,
};

const DROPBOX_ROOT = 'Backend_files';

/**
 * `create_job_id`'s form, with the job's qspool id (whose first 12 hex digits are its creation time) as suffix; a job
 * qlued created keeps the id qlued gave it, which has that form already.
 */
function dropboxJobId({ display, id, owner }: JobKey): string {
  if (!isJobId(id)) return id;
  const stamp = new Date(jobIdTime(id)).toISOString().replace(/-|:/g, '').replace('T', '_').slice(0, 15);
  return `${stamp}-${display}-${owner}-${id}`;
}

/**
 * The key a Dropbox name (`job-…`, `status-…`, `result-…`) stands for, if it is one qspool can address: qspool's
 * jobs by their 24-hex suffix, qlued's by their whole id (./ids.ts), both with the username in the paths.
 */
function parseDropboxName(name: string, prefix: string): JobKey | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const sqoolerId = name.slice(prefix.length);
  const old = qluedJobId(sqoolerId);
  if (old) return { display: old.display, id: sqoolerId, owner: old.username };
  const [stamp, display, owner, id, ...rest] = sqoolerId.split('-');
  return stamp && display && owner && id && rest.length === 0 && isJobId(id) ? { display, id, owner } : undefined;
}

async function dropboxKeys(documents: SqoolerDocuments, folders: string[], prefix: string, display: string): Promise<JobKey[]> {
  const names = (await Promise.all(folders.map((folder) => documents.list(folder)))).flat();
  return names.flatMap((name) => {
    const key = parseDropboxName(name, prefix);
    return key && key.display === display ? [key] : [];
  });
}

async function dropboxIds(documents: SqoolerDocuments, folders: string[], prefix: string, display: string): Promise<string[]> {
  return [...new Set((await dropboxKeys(documents, folders, prefix, display)).map((key) => key.id))];
}

const QSPOOL_FOLDER = `${DROPBOX_ROOT}/Qspool`;

/** Where sqooler's Dropbox provider keeps jobs; finished ones per user. */
function dropboxJobFolder(place: Place, display: string, owner: string): string {
  if (place === 'queued') return `${DROPBOX_ROOT}/Queued_Jobs/${display}`;
  if (place === 'finished') return `${DROPBOX_ROOT}/Finished_Jobs/${display}/${owner}`;
  return place === 'running' ? `${DROPBOX_ROOT}/Running_Jobs` : `${DROPBOX_ROOT}/Deleted_Jobs`;
}

/** Folders one level below `path` (the per-user folders of Finished_Jobs and Result). */
async function userFolders(documents: SqoolerDocuments, path: string): Promise<string[]> {
  return (await documents.folders(path)).map((user) => `${path}/${user}`);
}

export const dropboxPaths: SqoolerPaths = {
  jobId: dropboxJobId,
  config: (display) => ({ path: `${DROPBOX_ROOT}/Config/${display}`, name: 'config' }),
  publicKey: (kid) => ({ path: `${DROPBOX_ROOT}/public_keys`, name: kid }),
  backends: (documents) => documents.folders(`${DROPBOX_ROOT}/Config`),
  job: (place, key) => ({ path: dropboxJobFolder(place, key.display, key.owner), name: `job-${dropboxJobId(key)}` }),
  /**
   * Not the user's folder the reference describes: every caller (base.py upload_status and get_status, dropbox.py
   * update_in_database) passes the username as get_attribute_path's third positional argument, which is `job_id`, so
   * `username` is None and sqooler's spoolers and qlued all use `Status/<display>/None/` (seen running sqooler).
   */
  status: (key) => ({ path: `${DROPBOX_ROOT}/Status/${key.display}/None`, name: `status-${dropboxJobId(key)}` }),
  /** qlued's Dropbox code before sqooler's None folder kept statuses in the user's (`Status/<display>/<username>/`). */
  olderStatus: (key) => (isJobId(key.id) ? undefined : { path: `${DROPBOX_ROOT}/Status/${key.display}/${key.owner}`, name: `status-${key.id}` }),
  result: (key) => ({ path: `${DROPBOX_ROOT}/Result/${key.display}/${key.owner}`, name: `result-${dropboxJobId(key)}` }),
  namesBackend: () => true,
  lease: (key) => ({ path: `${QSPOOL_FOLDER}/Leases/${key.display}`, name: `lease-${dropboxJobId(key)}` }),
  attempts: (key) => ({ path: `${QSPOOL_FOLDER}/Attempts/${key.display}`, name: `attempts-${dropboxJobId(key)}` }),
  probe: `${QSPOOL_FOLDER}/Probe`,
  queued: async (documents, display) =>
    (await dropboxKeys(documents, [dropboxJobFolder('queued', display, '')], 'job-', display)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  leased: (documents, display) => dropboxKeys(documents, [`${QSPOOL_FOLDER}/Leases/${display}`], 'lease-', display),
  async ids(documents, kind, display) {
    switch (kind) {
      case 'status':
        // None, and the users' folders of statuses qlued wrote before sqooler (olderStatus).
        return dropboxIds(documents, await userFolders(documents, `${DROPBOX_ROOT}/Status/${display}`), 'status-', display);
      case 'results':
        return dropboxIds(documents, await userFolders(documents, `${DROPBOX_ROOT}/Result/${display}`), 'result-', display);
      case 'finished':
        return dropboxIds(documents, await userFolders(documents, `${DROPBOX_ROOT}/Finished_Jobs/${display}`), 'job-', display);
      default:
        return dropboxIds(documents, [dropboxJobFolder(kind, display, '')], 'job-', display);
    }
  },
  assertOwner(owner) {
    // sqooler's Dropbox spoolers split the job id at "-" to find the username.
    if (owner.includes('-')) throw new InvalidKeyError(`User ${owner} cannot submit to a sqooler Dropbox provider: sqooler reads usernames out of job ids split at "-"`);
  },
  needsOwner: true,
};
