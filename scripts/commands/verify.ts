// `qspool verify JOB_ID` (and `qspool verify --config BACKEND`): checks a result's (or a published config's)
// signature against the backend's key under keys/, straight on storage. Exit codes: 0 valid; 1 not valid
// (altered, unsigned, unknown key, job not finished or not found); 2 usage (no target, malformed id).
import { isDisplayName } from '../../schemas/backend-config.ts';
import { verifyBackendConfig, verifyJobResult, type SignatureReport } from '../../spooler/signing/verify.ts';
import { isJobId } from '../../storage/keys.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { ns, type JobRecord } from '../../storage/records.ts';
import { openRuntime } from '../runtime.ts';
import { assertStoreExists } from './usage.ts';

export interface VerifyOptions {
  config?: string;
  json?: boolean;
}

const EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

/** The job by id: through the id index, or by asking every published backend (jobs older than the index). */
async function findJob(lifecycle: JobLifecycle, id: string): Promise<JobRecord | undefined> {
  const entry = await lifecycle.indexEntry(id);
  const backends = entry ? [entry.backend] : (await lifecycle.storage.list(ns.configs)).filter(isDisplayName);
  for (const backend of backends) {
    const found = await lifecycle.find(backend, id);
    if (found) return found.value;
  }
  return undefined;
}

function describe(subject: string, report: SignatureReport): string {
  if (report.valid) return `${subject}: signature valid\n  key ${report.kid} (${report.alg})`;
  return `${subject}: signature NOT valid: ${report.reason}${report.kid ? `\n  key ${report.kid}` : ''}`;
}

export async function runVerify(jobId: string | undefined, options: VerifyOptions): Promise<void> {
  if ((jobId === undefined) === (options.config === undefined) || (jobId !== undefined && !isJobId(jobId))) {
    process.stderr.write('usage: qspool verify JOB_ID (24 lowercase hex) | qspool verify --config BACKEND\n');
    process.exitCode = EXIT.usage;
    return;
  }
  assertStoreExists();
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  try {
    const lifecycle = new JobLifecycle(runtime.storage);
    let subject: string;
    let report: SignatureReport;
    if (options.config !== undefined) {
      subject = `config of ${options.config}`;
      report = await verifyBackendConfig(runtime.storage, options.config);
    } else {
      const record = await findJob(lifecycle, jobId!);
      subject = record ? `job ${jobId} (${record.backend}, ${record.state})` : `job ${jobId}`;
      report = record ? await verifyJobResult(lifecycle, record) : { signed: false, valid: false, kid: null, alg: null, reason: 'no such job', jws: null, key: null };
    }
    process.stdout.write(options.json ? `${JSON.stringify({ subject, ...report })}\n` : `${describe(subject, report)}\n`);
    process.exitCode = report.valid ? EXIT.valid : EXIT.invalid;
  } finally {
    await runtime.storage.close();
  }
}
