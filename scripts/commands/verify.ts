// `qspool verify JOB_ID` (and `qspool verify --config BACKEND`): checks a result's (or a published config's)
// signature against the backend's key under keys/, straight on storage. Exit codes: 0 valid; 1 not valid
// (altered, unsigned, unknown key, job not finished or not found); 2 usage (no target, malformed id).
import { trustedSigningKeys } from '../../config/index.ts';
import { isDisplayName } from '../../schemas/backend-config.ts';
import { verifyBackendConfig, verifyJobResult, type SignatureReport } from '../../spooler/signing/verify.ts';
import { isJobId } from '../../storage/keys.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { ns, type JobIndexEntry, type JobRecord } from '../../storage/records.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';
import { openRuntime, registryFor } from '../runtime.ts';
import { assertStoreExists } from './usage.ts';

export interface VerifyOptions {
  config?: string;
  json?: boolean;
}

const EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

/** The job by id: through its index entry, or by asking every published backend (jobs older than the index). */
async function findJob(lifecycle: JobLifecycle, id: string, entry: JobIndexEntry | undefined): Promise<JobRecord | undefined> {
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
  let registry: ProviderRegistry | undefined;
  try {
    const lifecycle = new JobLifecycle(runtime.storage);
    const trusted = trustedSigningKeys(runtime.config);
    let subject: string;
    let report: SignatureReport;
    if (options.config !== undefined) {
      subject = `config of ${options.config}`;
      report = await verifyBackendConfig(runtime.storage, options.config, trusted);
    } else {
      // The indexes are on the primary storage for every provider's jobs; a job on a registered provider (a lab's
      // storage, whose spoolers publish their keys there) is read and checked where it is.
      const entry = await lifecycle.indexEntry(jobId!);
      if (entry?.provider) registry = registryFor(runtime);
      const where = registry ? new JobLifecycle(await registry.open(entry!.provider!)) : lifecycle;
      const record = await findJob(where, jobId!, entry);
      const backend = record && (entry?.provider ? `${entry.provider}: ${record.backend}` : record.backend);
      subject = record ? `job ${jobId} (${backend}, ${record.state})` : `job ${jobId}`;
      report = record ? await verifyJobResult(where, record, trusted) : { signed: false, valid: false, kid: null, alg: null, reason: 'no such job', jws: null, key: null };
    }
    process.stdout.write(options.json ? `${JSON.stringify({ subject, ...report })}\n` : `${describe(subject, report)}\n`);
    process.exitCode = report.valid ? EXIT.valid : EXIT.invalid;
  } finally {
    await registry?.close();
    await runtime.storage.close();
  }
}
