// The storage providers the per-provider rows run on: local always; every other provider when the environment
// names its server (as its own tests do). Adding a provider is one entry: the variables it needs and its spec.
import { randomBytes } from 'node:crypto';
import type { ProviderSpec } from '../storage/factory.ts';

export interface BenchProvider {
  name: string;
  /** How the measurements open it: durable defaults. */
  spec: ProviderSpec;
  /** How seeding opens it: as fast as it goes (seeding is not measured). */
  seedSpec: ProviderSpec;
}

interface Candidate {
  name: string;
  /** Environment variables that must be set for the provider to be measured. */
  needs: string[];
  /** The spec, or why this provider cannot be measured yet. */
  spec(scratchDir: string): { spec: ProviderSpec; seedSpec?: ProviderSpec } | string;
}

const CANDIDATES: Candidate[] = [
  {
    name: 'local',
    needs: [],
    spec: (dir) => ({ spec: { type: 'local', root: dir, fsync: true }, seedSpec: { type: 'local', root: dir, fsync: false } }),
  },
  {
    name: 'mongodb',
    needs: ['MONGODB_URI'],
    spec: () => ({ spec: { type: 'mongodb', uri: process.env.MONGODB_URI!, database: `qspool-bench-${randomBytes(4).toString('hex')}` } }),
  },
  {
    name: 'dropbox',
    // The same variables as the opt-in real-Dropbox tests (storage/dropbox/dropbox-live.test.ts); DROPBOX_API_URL
    // sends the requests to another server speaking Dropbox's API instead (the local one, to count requests).
    needs: ['DROPBOX_REFRESH_TOKEN', 'DROPBOX_APP_KEY', 'DROPBOX_APP_SECRET'],
    spec: () => ({
      spec: {
        type: 'dropbox',
        basePath: `${process.env.DROPBOX_BASE_PATH ?? ''}/qspool-bench-${randomBytes(4).toString('hex')}`,
        refreshToken: process.env.DROPBOX_REFRESH_TOKEN!,
        appKey: process.env.DROPBOX_APP_KEY!,
        appSecret: process.env.DROPBOX_APP_SECRET!,
        ...(process.env.DROPBOX_API_URL ? { apiBaseUrl: process.env.DROPBOX_API_URL } : {}),
      },
    }),
  },
  {
    name: 's3',
    // The same variables as the S3 tests (storage/s3/test-server.ts); the bucket must exist. Each run writes under a
    // prefix of its own.
    needs: ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_BUCKET'],
    spec: () => ({
      spec: {
        type: 's3',
        endpoint: process.env.S3_ENDPOINT!,
        region: process.env.S3_REGION ?? 'us-east-1',
        bucket: process.env.S3_BUCKET!,
        prefix: `qspool-bench-${randomBytes(4).toString('hex')}/`,
        accessKeyId: process.env.S3_ACCESS_KEY_ID!,
        secretAccessKey: process.env.S3_SECRET_ACCESS_KEY!,
      },
    }),
  },
];

export function benchProviders(scratchDir: (name: string) => string): { available: BenchProvider[]; skipped: string[] } {
  const available: BenchProvider[] = [];
  const skipped: string[] = [];
  for (const candidate of CANDIDATES) {
    const missing = candidate.needs.filter((name) => !process.env[name]);
    if (missing.length > 0) {
      skipped.push(`${candidate.name} (set ${missing.join(', ')})`);
      continue;
    }
    const made = candidate.spec(scratchDir(candidate.name));
    if (typeof made === 'string') skipped.push(`${candidate.name} (${made})`);
    else available.push({ name: candidate.name, spec: made.spec, seedSpec: made.seedSpec ?? made.spec });
  }
  return { available, skipped };
}
