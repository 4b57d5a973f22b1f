// sqooler's storage layout (Alqor-UG/sqooler, src/sqooler/storage_providers/, commit ebe718e9d26112474b324f0e026152a2a53d00b8):
// where sqooler's spoolers and qlued read and write each document, and how those documents read as qspool's records.
// A provider registered with `--layout sqooler` is served through these documents only, so unmodified sqooler
// spoolers and an existing qlued deployment's storage keep working.
import type { BackendConfig } from '../../schemas/backend-config.ts';
import { jobSchema } from '../../schemas/job.ts';
import { InvalidKeyError } from '../../schemas/errors.ts';
import type { HeartbeatRecord, JobState } from '../records.ts';

/**
 * The part of sqooler's StorageCore the server needs: documents addressed by a folder path and a name
 * (`<path>/<name>.json` on the local provider). The server creates, reads, lists and deletes; moving jobs and
 * rewriting documents is the spoolers' part. What each provider (local, Dropbox) implements; ./paths.ts says where.
 */
export interface SqoolerDocuments {
  readonly type: string;
  /** The document, or undefined if there is none. */
  get(path: string, name: string): Promise<unknown>;
  /**
   * The document's text as stored, where the store keeps text (local, Dropbox; not MongoDB's BSON): what sqooler's
   * signatures are checked against (./signatures.ts).
   */
  text?(path: string, name: string): Promise<string | undefined>;
  /** Creates the document; ConflictError if it exists (sqooler's `upload` refuses to overwrite). */
  upload(path: string, name: string, content: unknown): Promise<void>;
  /**
   * Writes the document whole, replacing any (sqooler's `update`, which its spoolers use for configs and statuses).
   * Only qspool's own spooler calls it; the server never rewrites a sqooler document.
   */
  replace(path: string, name: string, content: unknown): Promise<void>;
  /**
   * Moves a document, creating the target's folder. Of concurrent moves of one document exactly one resolves true;
   * the others (and a move of a document already gone) resolve false. qspool's spooler claims jobs with it.
   */
  move(from: DocumentAddress, to: DocumentAddress): Promise<boolean>;
  /** Resolves true if this call removed the document. */
  delete(path: string, name: string): Promise<boolean>;
  /** The names (without `.json`) in a folder, in no particular order (sqooler's `get_file_queue`). */
  list(path: string): Promise<string[]>;
  /** The folders in a folder (Dropbox keeps configs and per-user documents in folders of their own). */
  folders(path: string): Promise<string[]>;
  close(): Promise<void>;
}

/** A document: its folder and its name without `.json`. */
export interface DocumentAddress {
  path: string;
  name: string;
}

/** sqooler's StatusMsgDict; `status` is one of INITIALIZING, QUEUED, DONE, ERROR (its StatusStr). */
export interface SqoolerStatus {
  job_id: string;
  status: string;
  detail: string;
  error_message: string;
}

/** What qlued's post_job writes with the queued job (sqooler's `upload_status` draft). */
export function initialStatus(jobId: string): SqoolerStatus {
  return { job_id: jobId, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' };
}

/**
 * A JWS-wrapped document's payload (sqooler signs configs, statuses and results as `{header, payload, signature}`
 * when the backend's config says `sign`), or the document itself.
 */
export function unwrapJws(document: unknown): Record<string, unknown> {
  const doc = (document ?? {}) as Record<string, unknown>;
  return isJws(doc) ? (doc.payload as Record<string, unknown>) : doc;
}

/** sqooler's test for a signed document: exactly the keys header, payload and signature. */
export function isJws(document: unknown): document is { header: { kid?: unknown }; payload: unknown; signature: unknown } {
  return typeof document === 'object' && document !== null && Object.keys(document).sort().join(',') === 'header,payload,signature';
}

/**
 * The job's state from its sqooler status and where its document is: sqooler writes INITIALIZING at submission and
 * leaves it until the job is done, so a job in the running folder is RUNNING and one still queued is QUEUED.
 */
export function stateOf(status: string, place: 'queued' | 'running' | 'finished' | 'deleted'): JobState {
  if (status === 'DONE') return 'DONE';
  if (status === 'ERROR' || place === 'deleted') return 'ERROR';
  if (place === 'running') return 'RUNNING';
  return place === 'finished' ? 'DONE' : 'QUEUED';
}

/**
 * A published sqooler config (BackendConfigSchemaIn) as qspool's BackendConfig. sqooler spoolers publish no job
 * schema: the server checks the shape every qlued job has, and the spooler its own rules (its `check_json_dict`).
 */
export function toBackendConfig(document: unknown): BackendConfig {
  const c = unwrapJws(document) as Record<string, unknown> & Partial<BackendConfig>;
  const config: BackendConfig = {
    description: String(c.description ?? ''),
    version: String(c.version ?? ''),
    display_name: String(c.display_name ?? ''),
    cold_atom_type: String(c.cold_atom_type ?? ''),
    gates: (c.gates ?? []) as BackendConfig['gates'],
    max_experiments: Number(c.max_experiments ?? 1),
    max_shots: Number(c.max_shots ?? 1),
    simulator: Boolean(c.simulator),
    supported_instructions: (c.supported_instructions ?? []) as string[],
    num_wires: Number(c.num_wires ?? 1),
    wire_order: c.wire_order === 'sequential' ? 'sequential' : 'interleaved',
    num_species: Number(c.num_species ?? 1),
    job_schema: jobSchema as unknown as BackendConfig['job_schema'],
    sign: Boolean(c.sign),
  };
  if (typeof c.last_queue_check === 'string') config.last_queue_check = c.last_queue_check;
  if (typeof c.kid === 'string') config.kid = c.kid;
  return config;
}

/**
 * sqooler's `last_queue_check` (a UTC time, ISO 8601 with or without an offset) as epoch milliseconds; a spooler
 * writes it each time it looks at the queue, so it is the backend's heartbeat (`_last_queued_to_operational`).
 */
export function lastQueueCheck(config: BackendConfig): number | undefined {
  const text = config.last_queue_check;
  if (!text) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The heartbeat a sqooler spooler leaves: its last look at the queue. */
export function heartbeatOf(config: BackendConfig, at: number): HeartbeatRecord {
  return { spooler: SQOOLER_SPOOLER, backend: config.display_name, host: '', pid: 0, at: new Date(at).toISOString(), currentJob: null };
}

/** The one spooler id under which a sqooler backend's heartbeat is listed. */
export const SQOOLER_SPOOLER = 'sqooler';

/**
 * A stored sqooler result as served: qlued adds `backend_name`; sqooler's own spooler leaves `status` as its
 * result draft had it ("INITIALIZING"), and qiskit-cold-atom waits for "finished", so a DONE job's result says so. Its
 * `job_id` is the one the client knows (on Dropbox sqooler's own id is longer; see ./paths.ts).
 */
export function servedResult(document: unknown, backendName: string, jobId: string): Record<string, unknown> {
  return { ...unwrapJws(document), backend_name: backendName, job_id: jobId, status: 'finished' };
}

/**
 * Names sqooler builds paths from: one safe path segment each, so nothing a client sends escapes its folder. `@` and
 * `+` occur in qlued usernames, which old qlued job ids and folders carry (./ids.ts).
 */
export const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,254}$/;

/** The segments of a folder path, each checked (InvalidKeyError otherwise); with a name, the file's last. */
export function safeSegments(path: string, name?: string): string[] {
  const segments = path.split('/');
  if (!segments.every((segment) => SEGMENT.test(segment) && segment !== '..')) throw new InvalidKeyError(`Invalid sqooler path ${JSON.stringify(path)}`);
  if (name === undefined) return segments;
  if (!SEGMENT.test(name)) throw new InvalidKeyError(`Invalid sqooler name ${JSON.stringify(name)}`);
  return [...segments, `${name}.json`];
}

/**
 * qspool's published config as sqooler's BackendConfigSchemaIn, field for field in its order: what sqooler's
 * spoolers write to the config document (qspool's job schema and work limits stay with the spooler, which checks them).
 * `lastQueueCheck` is sqooler's `last_queue_check`, the backend's heartbeat.
 */
export function toSqoolerConfig(config: BackendConfig, lastQueueCheck: string | null): Record<string, unknown> {
  return {
    description: config.description,
    version: config.version,
    display_name: config.display_name,
    cold_atom_type: config.cold_atom_type,
    gates: config.gates,
    max_experiments: config.max_experiments,
    max_shots: config.max_shots,
    simulator: config.simulator,
    supported_instructions: config.supported_instructions,
    num_wires: config.num_wires,
    wire_order: config.wire_order,
    num_species: config.num_species,
    pending_jobs: null,
    status_msg: null,
    last_queue_check: lastQueueCheck,
    sign: false,
    kid: null,
  };
}

/** `datetime.now(timezone.utc).replace(microsecond=0).isoformat()`, as sqooler's timestamp_queue writes it. */
export function sqoolerNow(now = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 19)}+00:00`;
}
