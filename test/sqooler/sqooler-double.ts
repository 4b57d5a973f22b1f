// A test double of a sqooler spooler, written from sqooler's code (Alqor-UG/sqooler ebe718e: storage_providers/
// base.py, local.py and dropbox.py, utils.py `update_backends` and `main`), step for step and with its weaknesses:
// documents checked then written (local: in place, no temp file), the first name the listing returns taken with no
// lock, a claim that is a plain move. It runs a fake singlequdit (every shot measures `shots` atoms in the one wire)
// and knows nothing of qspool: its paths are transcribed from sqooler here, not taken from storage/sqooler/.
import { Dropbox } from 'dropbox';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDropboxFetch, type DropboxApiServer } from '../dropbox-api-server/index.ts';

export const DOUBLE_CONFIG = {
  description: 'A sqooler test double',
  version: '0.3',
  display_name: 'singlequdit',
  cold_atom_type: 'spin',
  gates: [{ coupling_map: [[0]], description: 'Evolution under Lx', name: 'rlx', parameters: ['omega'], qasm_def: 'gate lrx(omega) {}' }],
  max_experiments: 1000,
  max_shots: 1000000,
  simulator: true,
  supported_instructions: ['rlx', 'barrier', 'measure', 'load'],
  num_wires: 1,
  wire_order: 'interleaved',
  num_species: 1,
  pending_jobs: null,
  status_msg: null,
  last_queue_check: null as string | null,
  sign: false,
  kid: null,
};

/** sqooler's StorageCore: upload (refuses to overwrite), get, update (refuses a missing file), move, get_file_queue. */
interface Core {
  upload(path: string, name: string, content: unknown): Promise<void>;
  get(path: string, name: string): Promise<Record<string, unknown>>;
  update(path: string, name: string, content: unknown): Promise<void>;
  move(from: string, to: string, name: string): Promise<void>;
  list(path: string): Promise<string[]>;
}

/** A provider's get_attribute_path and get_attribute_id. */
interface Attributes {
  configs(display: string): [string, string];
  queue(display: string): string;
  running: string;
  finished(display: string, username: string | undefined): string;
  deleted: string;
  status(display: string, username: string | undefined): string;
  results(display: string, jobId: string): string;
  /** get_attribute_id for "job", "status", "results". */
  id(kind: 'job' | 'status' | 'results', jobId: string): string;
  /** update_in_database's username: `job_id.split("-")[2]` (local: only for ids starting with "job-"). */
  username(jobId: string): string | undefined;
}

const localAttributes: Attributes = {
  configs: (display) => ['backends/configs', display],
  queue: (display) => `jobs/queued/${display}`,
  running: 'jobs/running',
  finished: (display) => `jobs/finished/${display}`,
  deleted: 'jobs/deleted',
  status: (display) => `status/${display}`,
  results: (display) => `results/${display}`,
  id: (_kind, jobId) => jobId,
  username: (jobId) => (jobId.startsWith('job-') ? jobId.split('-')[2] : undefined),
};

const dropboxAttributes: Attributes = {
  configs: (display) => [`Backend_files/Config/${display}`, 'config'],
  queue: (display) => `/Backend_files/Queued_Jobs/${display}/`,
  running: 'Backend_files/Running_Jobs',
  finished: (display, username) => `/Backend_files/Finished_Jobs/${display}/${username}/`,
  deleted: 'Backend_files/Deleted_Jobs',
  // Called with the username as the third positional argument, which is `job_id`: username stays None.
  status: (display) => `/Backend_files/Status/${display}/None/`,
  results: (display, jobId) => `/Backend_files/Result/${display}/${jobId.split('-')[2]}/`,
  id: (kind, jobId) => ({ job: `job-${jobId}`, status: `status-${jobId}`, results: `result-${jobId}` })[kind],
  username: (jobId) => jobId.split('-')[2],
};

const strip = (path: string) => path.replace(/^\/+|\/+$/g, '');

function localCore(basePath: string): Core {
  const file = (path: string, name: string) => join(basePath, strip(path), `${name}.json`);
  return {
    async upload(path, name, content) {
      mkdirSync(join(basePath, strip(path)), { recursive: true });
      if (existsSync(file(path, name))) throw new Error(`The file ${name}.json already exists and should not be overwritten.`);
      writeFileSync(file(path, name), JSON.stringify(content));
    },
    async get(path, name) {
      return JSON.parse(readFileSync(file(path, name), 'utf8')) as Record<string, unknown>;
    },
    async update(path, name, content) {
      if (!existsSync(file(path, name))) throw new Error(`The file ${name}.json does not exist and cannot be updated.`);
      writeFileSync(file(path, name), JSON.stringify(content));
    },
    async move(from, to, name) {
      mkdirSync(join(basePath, strip(to)), { recursive: true });
      renameSync(file(from, name), file(to, name));
    },
    async list(path) {
      const folder = join(basePath, strip(path));
      return existsSync(folder) ? readdirSync(folder).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)) : [];
    },
  };
}

/** DropboxCore, through the Dropbox SDK (sqooler uses Dropbox's Python SDK), against the local Dropbox API server. */
function dropboxCore(server: DropboxApiServer): Core {
  const dbx = new Dropbox({
    clientId: server.tokens.clientId,
    clientSecret: server.tokens.clientSecret,
    refreshToken: server.tokens.refreshToken,
    fetch: createDropboxFetch(server.url),
  });
  const file = (path: string, name: string) => `/${strip(path)}/${name}.json`;
  const overwrite = (path: string, name: string, content: unknown) =>
    dbx.filesUpload({ path: file(path, name), contents: JSON.stringify(content), mode: { '.tag': 'overwrite' } });
  const get = async (path: string, name: string) => {
    const { result } = await dbx.filesDownload({ path: file(path, name) });
    return JSON.parse((result as unknown as { fileBinary: Buffer }).fileBinary.toString('utf8')) as Record<string, unknown>;
  };
  return {
    async upload(path, name, content) {
      const exists = await get(path, name).then(() => true, () => false);
      if (exists) throw new Error(`The file ${name} in ${path} already exists and should not be overwritten.`);
      await overwrite(path, name, content);
    },
    get,
    async update(path, name, content) {
      await dbx.filesGetMetadata({ path: file(path, name) });
      await overwrite(path, name, content);
    },
    async move(from, to, name) {
      await dbx.filesMoveV2({ from_path: file(from, name), to_path: file(to, name) });
    },
    async list(path) {
      const names: string[] = [];
      try {
        let page = (await dbx.filesListFolder({ path: `/${strip(path)}` })).result;
        names.push(...page.entries.map((e) => e.name));
        while (page.has_more) {
          page = (await dbx.filesListFolderContinue({ cursor: page.cursor })).result;
          names.push(...page.entries.map((e) => e.name));
        }
      } catch {
        return []; // "Could not obtain job queue"
      }
      return names.filter((n) => n.endsWith('.json')).map((n) => n.split('.')[0]!);
    },
  };
}

/** datetime.now(timezone.utc).replace(microsecond=0).isoformat() */
const utcSeconds = () => `${new Date().toISOString().slice(0, 19)}+00:00`;

export class SqoolerDouble {
  private stopped = true;
  private loop: Promise<void> | undefined;
  readonly display = DOUBLE_CONFIG.display_name;

  private constructor(
    private readonly core: Core,
    private readonly at: Attributes,
  ) {}

  static local(basePath: string): SqoolerDouble {
    return new SqoolerDouble(localCore(basePath), localAttributes);
  }

  static dropbox(server: DropboxApiServer): SqoolerDouble {
    return new SqoolerDouble(dropboxCore(server), dropboxAttributes);
  }

  /** utils.update_backends: the spooler's fresh config (no last_queue_check) by update_config, or upload_config. */
  async publishConfig(): Promise<void> {
    const [path, name] = this.at.configs(this.display);
    await this.core.update(path, name, DOUBLE_CONFIG).catch(() => this.core.upload(path, name, DOUBLE_CONFIG));
  }

  /** base.get_next_job_in_queue: list, timestamp_queue, take the first listed, move it to the running folder. */
  private async nextJob(): Promise<string | undefined> {
    const queue = this.at.queue(this.display);
    const names = await this.core.list(queue);
    const [path, name] = this.at.configs(this.display);
    await this.core.update(path, name, { ...(await this.core.get(path, name)), last_queue_check: utcSeconds() });
    const first = names[0];
    if (first === undefined) return undefined;
    await this.core.move(queue, this.at.running, first);
    return first.startsWith('job-') ? first.slice(4) : first;
  }

  /** One turn of utils.main: take a job, run it, update_in_database. */
  async step(): Promise<boolean> {
    const jobId = await this.nextJob();
    if (jobId === undefined) return false;
    const job = (await this.core.get(this.at.running, this.at.id('job', jobId))) as Record<string, { shots: number; instructions: [string, number[], number[]][] }>;
    const status = { job_id: jobId, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' };
    const unknown = Object.values(job).flatMap((e) => e.instructions).find(([name]) => !DOUBLE_CONFIG.supported_instructions.includes(name));
    const username = this.at.username(jobId);
    if (unknown) {
      const message = `; Failed json sanity check. File will be deleted. Error message : Instruction ${unknown[0]} not allowed.`;
      Object.assign(status, { status: 'ERROR', detail: status.detail + message, error_message: status.error_message + message });
      await this.core.move(this.at.running, this.at.deleted, this.at.id('job', jobId));
    } else {
      const results = Object.entries(job).map(([name, experiment]) => ({
        header: { name, 'extra metadata': 'text' },
        shots: experiment.shots,
        success: true,
        data: { memory: Array.from({ length: experiment.shots }, () => String(experiment.shots)), instructions: [] },
      }));
      const result = { backend_name: null, display_name: this.display, backend_version: DOUBLE_CONFIG.version, job_id: jobId, qobj_id: null, success: true, status: 'INITIALIZING', header: {}, results };
      await this.core.upload(this.at.results(this.display, jobId), this.at.id('results', jobId), result);
      await this.core.move(this.at.running, this.at.finished(this.display, username), this.at.id('job', jobId));
      Object.assign(status, { status: 'DONE', detail: `${status.detail}; Passed json sanity check; Compilation done. Shots sent to solver.` });
    }
    await this.core.update(this.at.status(this.display, username), this.at.id('status', jobId), status);
    return true;
  }

  /** utils.main's loop: sleep T_WAIT_MAIN (0.2 s by default; shorter here), then a turn. */
  start(waitMs = 50): void {
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        await this.step();
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
