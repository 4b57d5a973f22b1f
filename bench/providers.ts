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
    name: 's3',
    needs: ['S3_ENDPOINT'],
    // Replace with the S3 spec once storage/factory.ts builds S3 providers.
    spec: () => 'storage/factory.ts has no s3 provider yet',
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
