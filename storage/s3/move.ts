// The exclusive move of one document between namespaces. S3 has no rename and, on Ceph RGW 16, no conditional
// DELETE, so a move of source S (at version v) to destination D is four single-object writes:
//
//   1. take     S := leaving{token, to, value, original bytes, v}   If-Match: v
//   2. arrive   D := arriving{token, from, value}                     If-None-Match: *
//   3. release  DELETE S                                               (S holds our own marker)
//   4. settle   D := live{token, value}                                If-Match: <arriving ETag>
//
// Step 1 decides the race: one If-Match on v succeeds, every other mover, replacer or deleter holding v gets 412
// (or, on RGW, sometimes 500; documents.ts re-reads and decides). Meaning of the intermediate states to readers:
//   * S leaving, fresh: the document is still at S (get returns the pre-move value at version v, which no write
//     accepts any more); D, if already arriving, is not there yet. So a mover killed after step 1 or 2 leaves the
//     document where it was, as the conformance suite expects of a claim that never finished.
//   * S gone, D arriving: the document is at D (readers settle it: step 4 on the mover's behalf).
//   * S leaving, stale (older than staleAfterMs, so its mover is presumed dead): the next process that touches S or
//     D rolls the move forward — steps 2–4 with the marker's own token and value, identical to what the mover would
//     write, so a slow mover and its helpers cannot disagree — or, if D holds another document, rolls it back by
//     writing S's original bytes over the marker (same bytes, same MD5 ETag: version v again where ETags are MD5s).
// D never becomes a plain, movable document while S still holds the marker (step 4 and helpers settle only after
// S is released), so a stale marker whose D is empty always means "not arrived yet", never "arrived and moved on":
// rolling forward cannot resurrect a document that has since left D.
//
// Crash points (a process killed, or its requests lost, after each step):
//   before 1   nothing happened.
//   after 1    S leaving, D empty: the document reads at S; claims and writes of S lose (ConflictError) until the
//              marker is stale, then anyone reading S rolls it forward. Never lost, never in two places.
//   after 2    S leaving, D arriving: as above; D reads as absent (a reaper listing D skips it).
//   after 3    S gone, D arriving: the document is at D only; the first reader of D settles it.
//   after 4    done. A failed step 4 alone is not an error: the move happened, and the arriving ETag is returned.
// Concurrent readers: get(S) sees the document until step 3, get(D) from step 3 on; list may show the key in both
// namespaces for the length of one request (a claimer's get then skips it). Concurrent claimers of S all read v;
// exactly one takes S in step 1. A destination created between a mover's steps 1 and 2 makes the mover roll back.
import type { MoveOptions } from '../contract.ts';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import type { Documents } from './documents.ts';
import { newId, type ArrivingEnvelope, type LeavingEnvelope } from './envelope.ts';
import { label, type Address, type S3Layout } from './layout.ts';
import { settle, situation, valueField, writeFresh, type Situation } from './situation.ts';

type Movable = Extract<Situation, { kind: 'live' }>;

/** The source as it is now, if it can be moved at `expectedVersion`. */
async function movable(docs: Documents, layout: S3Layout, from: Address, expectedVersion?: string): Promise<Movable> {
  // The lifecycle reads the source right before moving it: its body is in the cache at the expected ETag.
  const hit = expectedVersion === undefined ? undefined : docs.cached(from, expectedVersion);
  const found: Situation =
    hit?.envelope.state === 'live' ? { kind: 'live', observed: hit, value: hit.envelope.value } : await situation(docs, layout, from);
  if (found.kind === 'transit') throw new ConflictError(`${label(from)} is being moved concurrently`);
  if (found.kind !== 'live') throw new NotFoundError(`${label(from)} does not exist`);
  if (expectedVersion !== undefined && found.observed.etag !== expectedVersion) {
    throw new ConflictError(`${label(from)} was changed concurrently`);
  }
  return found;
}

async function lostRace(docs: Documents, layout: S3Layout, from: Address, current: Parameters<typeof situation>[3]): Promise<Error> {
  const found = await situation(docs, layout, from, current);
  return found.kind === 'live' || found.kind === 'transit'
    ? new ConflictError(`${label(from)} was changed concurrently`)
    : new NotFoundError(`${label(from)} does not exist`);
}

export async function moveDocument(
  docs: Documents,
  layout: S3Layout,
  from: Address,
  to: Address,
  options: MoveOptions,
): Promise<string> {
  const source = await movable(docs, layout, from, options.expectedVersion);
  if (from.namespace === to.namespace) throw new ConflictError(`${label(to)} already exists`, 'already_exists');
  const content = valueField('value' in options ? options.value : source.value);
  const token = newId();

  // 1. Take the source: the single atomic step that decides who moves this version.
  const leaving: LeavingEnvelope = {
    state: 'leaving',
    id: token,
    to: to.namespace,
    at: docs.now(),
    ...content,
    original: source.observed.body,
    originalVersion: source.observed.etag,
  };
  const taken = await docs.write(from, leaving, { ifMatch: source.observed.etag });
  if (!taken.won) throw await lostRace(docs, layout, from, { observed: taken.current });

  // 2. Arrive at the destination, which must be free.
  const arriving: ArrivingEnvelope = { state: 'arriving', id: token, from: from.namespace, ...content };
  const arrived = await writeFresh(docs, layout, to, arriving);
  if (!arrived.won) {
    const current = arrived.current?.envelope;
    // Only after we stalled past staleAfterMs: helpers finished this very move for us.
    if (current?.state === 'live' && current.id === token) return arrived.current!.etag;
    await docs.write(from, { raw: source.observed.body }, { ifMatch: taken.etag });
    throw new ConflictError(`${label(to)} already exists`, 'already_exists');
  }

  // 3. Release the source: our own marker, so deleting it unconditionally is safe (situation.ts).
  await docs.remove(from, taken.etag);

  // 4. Settle. The move has happened; if S3 fails us now, the arriving version is still a valid one.
  try {
    return (await settle(docs, to, arrived.etag, arriving))?.etag ?? arrived.etag;
  } catch (error) {
    if (error instanceof StorageUnavailableError) return arrived.etag;
    throw error;
  }
}
