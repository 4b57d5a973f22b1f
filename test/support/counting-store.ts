// For tests of state shared by server replicas: each replica's own provider over one in-memory S3 bucket (no
// transactions, conditional writes only, as on every provider), counting the writes made through it.
import type { StorageProvider } from '../../storage/contract.ts';
import type { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { S3Provider } from '../../storage/s3/index.ts';

export interface CountingStore {
  storage: StorageProvider;
  writes: () => number;
}

export function countingStore(bucket: FakeObjects): CountingStore {
  const provider = new S3Provider({ port: bucket, prefix: 'p' });
  let writes = 0;
  const storage: StorageProvider = {
    type: provider.type,
    put: (namespace, key, value, options) => ((writes += 1), provider.put(namespace, key, value, options)),
    get: (namespace, key) => provider.get(namespace, key),
    replace: (namespace, key, value, version) => ((writes += 1), provider.replace(namespace, key, value, version)),
    move: (from, to, key, options) => ((writes += 1), provider.move(from, to, key, options)),
    delete: (namespace, key, version) => ((writes += 1), provider.delete(namespace, key, version)),
    list: (namespace, options) => provider.list(namespace, options),
    close: () => provider.close(),
  };
  return { storage, writes: () => writes };
}
