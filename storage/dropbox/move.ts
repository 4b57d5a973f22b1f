// The exclusive move of one document between namespaces, optionally at an expected version and with a new value.
//
// Dropbox has no "move if at rev" and no "move and rewrite", so a move of source file S to destination file D is:
//   1. know the version being moved (from the read cache, else download S);
//   2. mark: rewrite S over that rev (compare-and-swap) with a move intent {to, value, over} (envelope.ts). This
//      makes the version check atomic: a writer or mover holding the same version must now write over the intent,
//      and a moved-away S makes it NotFound. Readers of S still see the old value at the old version;
//   3. `files/move_v2` S → D, the exclusive step: one concurrent mover wins, the rest get from_lookup/not_found
//      (or to/conflict when D exists, which leaves only the invisible intent behind);
//   4. if S was rewritten between 2 and 3 by a real write (not just another mover's intent), the version moved is
//      not the one asked for: move it back and report ConflictError;
//   5. tidy: rewrite D over its new rev as a plain document, without the intent.
// Crash windows: after 2, S carries an intent that no reader sees (neither value nor version changes; the next
// write drops it). After 3, D already reads as the new value at D's rev, because the intent names D's namespace:
// nothing is lost or stale and the lifecycle sees a finished transition (only its status projection, written after
// the move, lags, as with every provider). Step 5 only tidies. A crash inside step 4's put-back leaves the pre-move
// value in D; that takes a writer racing the mover and a crash within the same request round-trip.
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { isAnswer, isRev, unexpectedAnswer, type FileInfo } from './client.ts';
import { encodeDocument, versionOf, visibleValue, type EncodedDocument } from './envelope.ts';
import type { DocumentFiles } from './files.ts';
import { label, type Address } from './layout.ts';

export interface MoveRequest {
  source: Address;
  target: Address;
  /** Present when the document gets new content at its destination. */
  value?: { content: unknown };
  expectedVersion?: string;
}

export async function moveDocument(files: DocumentFiles, request: MoveRequest): Promise<string> {
  const { source, target, expectedVersion } = request;

  // 1. The version being moved.
  const current =
    expectedVersion !== undefined && isRev(expectedVersion)
      ? await files.readAt(source.path, expectedVersion)
      : await files.read(source.path);
  if (!current) throw new NotFoundError(`${label(source)} does not exist`);
  const version = versionOf(current.envelope, current.rev, source.namespace);
  if (expectedVersion !== undefined && version !== expectedVersion) {
    throw new ConflictError(`${label(source)} was changed concurrently`);
  }
  if (source.namespace === target.namespace) throw new ConflictError(`${label(target)} already exists`, 'already_exists');

  // 2. Mark the source with the intent, at the version being moved.
  const before = visibleValue(current.envelope, source.namespace);
  const intent = { to: target.namespace, over: version, ...(request.value ? { value: request.value.content } : {}) };
  const marked = encodeDocument(before, intent);
  await files.writeOver(source, marked, version, current.rev);

  // 3. The exclusive step.
  let landed = await exclusiveMove(files, request, marked.hash);

  // 4. Did the version we marked survive until the move?
  if (landed.hash === marked.hash) {
    files.remember(target.path, landed, marked);
  } else {
    const there = await files.read(target.path);
    // Another mover's intent keeps what readers see (its own move then fails): the move stands. A write does not.
    if (!there || JSON.stringify(visibleValue(there.envelope, source.namespace)) !== JSON.stringify(before)) {
      if (there) await files.client.move(target.path, source.path).catch(() => undefined);
      throw new ConflictError(`${label(source)} was changed concurrently`);
    }
    landed = there;
  }
  if (!request.value) return landed.rev;

  // 5. Tidy: the plain document at the destination. The move is complete and correct without it, so an outage
  // now must not turn a successful move into an error that makes the caller think it lost.
  const movedRev = landed.rev;
  return tidy(files, target, encodeDocument(request.value.content), movedRev).catch((error: unknown) => {
    if (error instanceof StorageUnavailableError) return movedRev;
    throw error;
  });
}

async function exclusiveMove(files: DocumentFiles, request: MoveRequest, markedHash: string): Promise<FileInfo> {
  const { source, target } = request;
  const moved = await files.client.move(source.path, target.path);
  if (moved.ok) return moved.value;
  // After a lost answer the retry finds the source gone: if our marked bytes are at the target, it was us.
  if (moved.ambiguous) {
    const there = await files.client.metadata(target.path);
    if (there?.hash === markedHash) return there;
  }
  if (isAnswer(moved, 'from_lookup/not_found/')) throw new NotFoundError(`${label(source)} was moved concurrently`);
  if (isAnswer(moved, 'to/conflict/')) throw new ConflictError(`${label(target)} already exists`, 'already_exists');
  throw unexpectedAnswer('move_v2', source.path, moved.summary);
}

async function tidy(files: DocumentFiles, target: Address, clean: EncodedDocument, rev: string): Promise<string> {
  const done = await files.client.upload(target.path, clean.bytes, { kind: 'update', rev });
  if (done.ok) return files.remember(target.path, done.value, clean);
  if (!isAnswer(done, 'path/conflict/')) throw unexpectedAnswer('upload', target.path, done.summary);
  const now = await files.client.metadata(target.path);
  if (now?.hash === clean.hash) return files.remember(target.path, now, clean);
  // Someone wrote, or marked for a further move, after our move: the move stands, and the caller's next
  // compare-and-swap at this version conflicts or settles as for any other concurrent write.
  return rev;
}
