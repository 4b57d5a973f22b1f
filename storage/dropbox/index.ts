// The Dropbox provider: documents are JSON files under a base folder (layout.ts), versions are Dropbox revs,
// compare-and-swap is an upload in `update` mode, create-only is `add`, and the exclusive move is `files/move_v2`
// (move.ts). Requests are retried and refreshed in client.ts; lists are kept sorted from the change feed (listing.ts).
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument } from '../contract.ts';
import { ConflictError } from '../../schemas/errors.ts';
import { assertKey } from '../keys.ts';
import { DropboxClient, isAnswer, unexpectedAnswer, type DropboxClientOptions } from './client.ts';
import { encodeDocument, versionOf, visibleValue } from './envelope.ts';
import { DocumentFiles } from './files.ts';
import { DropboxLayout, label } from './layout.ts';
import { NamespaceListings } from './listing.ts';
import { moveDocument } from './move.ts';

export interface DropboxProviderOptions extends DropboxClientOptions {
  /** Folder (inside the app folder for app-folder apps) that holds every namespace; default `/qspool`. */
  basePath?: string;
}

/** The serialisable description the factory and other processes build the provider from. */
export type DropboxProviderSpec = { type: 'dropbox' } & DropboxProviderOptions;

export class DropboxProvider implements StorageProvider {
  readonly type = 'dropbox';
  private readonly layout: DropboxLayout;
  private readonly files: DocumentFiles;
  private readonly listings: NamespaceListings;

  constructor(options: DropboxProviderOptions) {
    this.layout = new DropboxLayout(options.basePath);
    const client = new DropboxClient(options);
    this.files = new DocumentFiles(client);
    this.listings = new NamespaceListings(client);
  }

  async put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    const at = this.layout.document(namespace, key);
    const doc = encodeDocument(value);
    const outcome = await this.files.client.upload(at.path, doc.bytes, options.ifAbsent ? { kind: 'add' } : { kind: 'overwrite' });
    if (outcome.ok) return this.files.remember(at.path, outcome.value, doc);
    if (!isAnswer(outcome, 'path/conflict/')) throw unexpectedAnswer('upload', at.path, outcome.summary);
    // Our own earlier try, whose answer was lost, may have created it.
    const current = await this.files.client.metadata(at.path);
    if (current?.hash === doc.hash) return this.files.remember(at.path, current, doc);
    throw new ConflictError(`${label(at)} already exists`, 'already_exists');
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    const file = await this.files.read(this.layout.document(namespace, key).path);
    if (!file) return undefined;
    return { value: visibleValue(file.envelope, namespace) as T, version: versionOf(file.envelope, file.rev, namespace) };
  }

  async replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    return this.files.writeOver(this.layout.document(namespace, key), encodeDocument(value), expectedVersion);
  }

  async move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    return moveDocument(this.files, {
      source: this.layout.document(from, key),
      target: this.layout.document(to, key),
      ...(options.value === undefined ? {} : { value: { content: options.value } }),
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
    });
  }

  async delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean> {
    return this.files.deleteOver(this.layout.document(namespace, key), expectedVersion);
  }

  async list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    const folder = this.layout.folder(namespace);
    if (options.after !== undefined) assertKey(options.after);
    return this.listings.list(folder, options.after, Math.max(1, Math.min(options.limit ?? 1000, 10_000)));
  }

  async close(): Promise<void> {
    // Nothing to release: requests are plain HTTPS calls and listings are only memory.
  }
}
