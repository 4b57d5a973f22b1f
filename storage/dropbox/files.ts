// Reading and version-checked writing of single document files, shared by the provider and the move protocol.
// A version is the rev readers see (envelope.ts `versionOf`): when a compare-and-swap conflicts only because a move
// intent was written over that rev, the document has not changed, so the write is repeated over the intent.
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { isAnswer, isRev, unexpectedAnswer, type DropboxClient, type FileInfo } from './client.ts';
import { parseDocument, versionOf, type EncodedDocument, type Envelope } from './envelope.ts';
import { label, type Address } from './layout.ts';
import { RevisionCache, type StoredFile } from './revisions.ts';

/** A downloaded document file, parsed. */
export interface DocumentFile extends StoredFile {
  envelope: Envelope;
}

/** Intents are only ever written over by their own or another move; a few rounds always settle. */
const MAX_ROUNDS = 8;

export class DocumentFiles {
  private readonly revisions = new RevisionCache();

  constructor(readonly client: DropboxClient) {}

  /** Downloads a file, or undefined when there is none. */
  async read(path: string): Promise<DocumentFile | undefined> {
    const outcome = await this.client.download(path);
    if (outcome.ok) {
      const { rev, hash, bytes } = outcome.value;
      this.revisions.remember(path, { rev, hash, bytes });
      return { rev, hash, bytes, envelope: parseDocument(bytes, path) };
    }
    if (isAnswer(outcome, 'path/not_found/')) return undefined;
    throw unexpectedAnswer('download', path, outcome.summary);
  }

  /** The file at exactly this rev if this process has recently read or written it, else a download. */
  async readAt(path: string, rev: string): Promise<DocumentFile | undefined> {
    const known = this.revisions.lookup(path, rev);
    return known ? { ...known, envelope: parseDocument(known.bytes, path) } : this.read(path);
  }

  remember(path: string, info: FileInfo, doc: EncodedDocument): string {
    return this.revisions.remember(path, { ...info, bytes: doc.bytes });
  }

  /**
   * Uploads `doc` over the document read in `namespace` at version `expected`, trying Dropbox rev `rev` first.
   * NotFoundError when it is gone, ConflictError when anything but a move intent was written since.
   */
  async writeOver(at: Address, doc: EncodedDocument, expected: string, rev = expected): Promise<string> {
    const { path, namespace } = at;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (isRev(rev)) {
        const outcome = await this.client.upload(path, doc.bytes, { kind: 'update', rev });
        if (outcome.ok) return this.remember(path, outcome.value, doc);
        // strict_conflict answers a changed rev and a missing file alike; look at what is there.
        if (!isAnswer(outcome, 'path/conflict/')) throw unexpectedAnswer('upload', path, outcome.summary);
      }
      const current = await this.read(path);
      if (!current) throw new NotFoundError(`${label(at)} does not exist`);
      // Our own earlier try, whose answer was lost, already wrote it.
      if (current.hash === doc.hash) return this.remember(path, current, doc);
      if (current.rev === rev || versionOf(current.envelope, current.rev, namespace) !== expected) {
        throw new ConflictError(`${label(at)} was changed concurrently`);
      }
      rev = current.rev;
    }
    throw new ConflictError(`${label(at)} kept changing`);
  }

  /** Deletes the document (at version `expected` when given); true if this call removed it. */
  async deleteOver(at: Address, expected?: string): Promise<boolean> {
    const { path, namespace } = at;
    let rev = expected;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (rev === undefined || isRev(rev)) {
        const outcome = await this.client.remove(path, rev);
        if (outcome.ok) return true;
        // A retry after an unanswered try that did delete finds nothing: that removal was ours.
        if (isAnswer(outcome, 'path_lookup/not_found/')) return outcome.ambiguous;
        if (!isAnswer(outcome, 'path_write/conflict/')) throw unexpectedAnswer('delete_v2', path, outcome.summary);
      }
      const current = await this.read(path);
      if (!current) return false;
      if (current.rev === rev || versionOf(current.envelope, current.rev, namespace) !== expected) {
        throw new ConflictError(`${label(at)} was changed concurrently`);
      }
      rev = current.rev;
    }
    throw new ConflictError(`${label(at)} kept changing`);
  }
}
