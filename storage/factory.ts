// Builds a provider from a plain, serialisable description, so the same provider can be recreated in another
// process (spoolers, conformance workers) from configuration alone.
import { LocalProvider } from './local/index.ts';
import type { StorageProvider } from './contract.ts';

export type ProviderSpec = { type: 'local'; root: string; fsync?: boolean };

export async function createProvider(spec: ProviderSpec): Promise<StorageProvider> {
  switch (spec.type) {
    case 'local':
      return new LocalProvider({ root: spec.root, ...(spec.fsync === undefined ? {} : { fsync: spec.fsync }) });
  }
}
