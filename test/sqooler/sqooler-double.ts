// A test double of a sqooler spooler on sqooler's local provider, written from sqooler's code (Alqor-UG/sqooler
// ebe718e, storage_providers/base.py and local.py, utils.py `update_backends` and `main`), step for step and with its
// weaknesses: documents written in place with no temp file, the first name os.listdir returns taken with no lock,
// a claim that is a plain move. It runs a fake singlequdit (every shot measures `shots` atoms in the one wire) and
// knows nothing of qspool.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** datetime.now(timezone.utc).replace(microsecond=0).isoformat() */
const utcSeconds = () => `${new Date().toISOString().slice(0, 19)}+00:00`;

export class SqoolerDouble {
  private timer: NodeJS.Timeout | undefined;
  readonly display = DOUBLE_CONFIG.display_name;

  constructor(private readonly basePath: string) {}

  private path(...parts: string[]): string {
    return join(this.basePath, ...parts);
  }

  private read(...parts: string[]): Record<string, unknown> {
    return JSON.parse(readFileSync(this.path(...parts), 'utf8')) as Record<string, unknown>;
  }

  /** LocalCore.upload: refuses an existing file, then writes in place. */
  private upload(folder: string, name: string, content: unknown): void {
    mkdirSync(this.path(folder), { recursive: true });
    if (existsSync(this.path(folder, `${name}.json`))) throw new Error(`The file ${name}.json already exists and should not be overwritten.`);
    writeFileSync(this.path(folder, `${name}.json`), JSON.stringify(content));
  }

  /** LocalCore.update: refuses a missing file, then rewrites it in place. */
  private update(folder: string, name: string, content: unknown): void {
    if (!existsSync(this.path(folder, `${name}.json`))) throw new Error(`The file ${name}.json does not exist and cannot be updated.`);
    writeFileSync(this.path(folder, `${name}.json`), JSON.stringify(content));
  }

  /** LocalCore.move (shutil.move into the target folder). */
  private move(from: string, to: string, name: string): void {
    mkdirSync(this.path(to), { recursive: true });
    renameSync(this.path(from, `${name}.json`), this.path(to, `${name}.json`));
  }

  /** utils.update_backends: the spooler's fresh config (no last_queue_check) by update_config, or upload_config. */
  publishConfig(): void {
    const folder = 'backends/configs';
    if (existsSync(this.path(folder, `${this.display}.json`))) this.update(folder, this.display, DOUBLE_CONFIG);
    else this.upload(folder, this.display, DOUBLE_CONFIG);
  }

  /** base.get_next_job_in_queue: list, timestamp_queue, take the first listed, move it to jobs/running. */
  private nextJob(): string | undefined {
    const queue = `jobs/queued/${this.display}`;
    const names = existsSync(this.path(queue)) ? readdirSync(this.path(queue)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)) : [];
    this.update('backends/configs', this.display, { ...this.read('backends/configs', `${this.display}.json`), last_queue_check: utcSeconds() });
    const first = names[0];
    if (first === undefined) return undefined;
    this.move(queue, 'jobs/running', first);
    return first.startsWith('job-') ? first.slice(4) : first;
  }

  /** One turn of utils.main: take a job, run it, update_in_database. */
  step(): boolean {
    const jobId = this.nextJob();
    if (jobId === undefined) return false;
    const job = this.read('jobs/running', `${jobId}.json`) as Record<string, { shots: number; instructions: [string, number[], number[]][] }>;
    const status = { job_id: jobId, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' };
    const unknown = Object.values(job).flatMap((e) => e.instructions).find(([name]) => !DOUBLE_CONFIG.supported_instructions.includes(name));
    if (unknown) {
      const message = `; Failed json sanity check. File will be deleted. Error message : Instruction ${unknown[0]} not allowed.`;
      Object.assign(status, { status: 'ERROR', detail: status.detail + message, error_message: status.error_message + message });
      this.move('jobs/running', 'jobs/deleted', jobId);
    } else {
      const results = Object.entries(job).map(([name, experiment]) => ({
        header: { name, 'extra metadata': 'text' },
        shots: experiment.shots,
        success: true,
        data: { memory: Array.from({ length: experiment.shots }, () => String(experiment.shots)), instructions: [] },
      }));
      const result = { backend_name: null, display_name: this.display, backend_version: DOUBLE_CONFIG.version, job_id: jobId, qobj_id: null, success: true, status: 'INITIALIZING', header: {}, results };
      this.upload(`results/${this.display}`, jobId, result);
      this.move('jobs/running', `jobs/finished/${this.display}`, jobId);
      Object.assign(status, { status: 'DONE', detail: `${status.detail}; Passed json sanity check; Compilation done. Shots sent to solver.` });
    }
    this.update(`status/${this.display}`, jobId, status);
    return true;
  }

  /** utils.main's loop: a turn every `waitMs` (T_WAIT_MAIN, 0.2 s by default). */
  start(waitMs = 50): void {
    this.publishConfig();
    this.timer = setInterval(() => this.step(), waitMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
