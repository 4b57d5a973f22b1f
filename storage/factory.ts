// Builds a provider from a plain, serialisable description, so the same provider can be recreated in another
// process (spoolers, conformance workers) from configuration alone.
import { LocalProvider } from './local/index.ts';
import type { StorageProvider } from './contract.ts';
// Static, not import(): under mocha (which require()s test files through tsx's CJS hook) a dynamic import loads a
// second copy of schemas/errors.ts, and the lifecycle's `instanceof ConflictError` checks then fail.
import { DropboxProvider, type DropboxProviderSpec } from './dropbox/index.ts';
import { MongoProvider } from './mongodb/index.ts';
import { S3Provider, type S3ProviderSpec } from './s3/index.ts';

export type ProviderSpec =
  | { type: 'local'; root: string; fsync?: boolean }
  | { type: 'mongodb'; uri: string; database: string }
  | DropboxProviderSpec
  | S3ProviderSpec;

export async function createProvider(spec: ProviderSpec): Promise<StorageProvider> {
  switch (spec.type) {
    case 'local':
      return new LocalProvider({ root: spec.root, ...(spec.fsync === undefined ? {} : { fsync: spec.fsync }) });
    case 'mongodb':
      return MongoProvider.open(spec.uri, spec.database);
    case 'dropbox':
      return new DropboxProvider(spec);
    case 's3':
      return S3Provider.fromSpec(spec);
  }
}
