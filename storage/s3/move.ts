// The exclusive move of one document between namespaces. S3 has no rename and, on Ceph RGW 16, no conditional
// DELETE, so a move of source S (at version v) to destination D is three single-object writes:
//
//   1. take     S := leaving{token, to, value, original bytes, v}   If-Match: v
//   2. arrive   D := arriving{token, from, value}                     If-None-Match: *
//   3. release  DELETE S                                               (S holds our own marker)
//
// and the move resolves with D's ETag. D stays `arriving` until its next write (see "Arrivals are never rewritten").
//
// Three requests is the least any exclusive move can cost here: D must be created (a PUT) and S removed (a DELETE),
// and on RGW 16 neither can decide a race with writers of S: its DELETE ignores If-Match (measured on 16.2.15: a
// DELETE with a wrong If-Match removes the object). Nor would a conditional DELETE (AWS since 2025, newer Ceph) make
// "create D, then DELETE S If-Match v" enough: a helper finding D arriving and S gone after the mover died could not
// tell whether this mover's DELETE removed S (D is the document) or a rival's did (another mover that took S to
// another namespace, or a deleter: D would be a second copy, or a resurrection). Step 1 writes the winner's token
// into S itself, which is what lets anyone finish or undo a move later.
//
// Step 1 decides the race: one If-Match on v succeeds, every other mover, replacer or deleter holding v gets 412
// (or, on RGW, sometimes 500; documents.ts re-reads and decides). Meaning of the intermediate states to readers:
//   * S leaving, fresh: the document is still at S (get returns the pre-move value at version v, which no write
//     accepts any more); D, if already arriving, is not there yet. So a mover killed after step 1 or 2 leaves the
//     document where it was, as the conformance suite expects of a claim that never finished.
//   * S gone, D arriving: the document is at D.
//   * S leaving, stale (older than staleAfterMs, so its mover is presumed dead): the next process that touches S or
//     D rolls the move forward — steps 2 and 3 with the marker's own token and value, identical to what the mover
//     would write, so a slow mover and its helpers cannot disagree — or, if D holds another document, rolls it back
//     by writing S's original bytes over the marker (same bytes, same MD5 ETag: version v again where ETags are
//     MD5s, as on RGW).
// While S holds the marker, D is `arriving`, which nobody but the mover may write (readers see it as absent, writers
// as taken) — so a stale marker whose D is empty always means "not arrived yet", never "arrived and moved on", and
// rolling forward cannot resurrect a document that has since left D.
//
// Crash points (a process killed, or its requests lost, after each step):
//   before 1   nothing happened.
//   after 1    S leaving, D empty: the document reads at S; claims and writes of S lose (ConflictError) until the
//              marker is stale, then anyone reading S or D rolls it forward. Never lost, never in two places.
//   after 2    S leaving, D arriving: as above; D reads as absent (a reaper listing D skips it).
//   after 3    done: S gone, D arriving, which is the document.
// Concurrent readers: get(S) sees the document until step 3, get(D) from step 3 on; list may show the key in both
// namespaces for the length of one request (a claimer's get then skips it). Concurrent claimers of S all read v;
// exactly one takes S in step 1. A destination created between a mover's steps 1 and 2 makes the mover roll back.
//
// Arrivals are never rewritten. A reader that finds D `arriving` reads S once: our `leaving` marker there means "not
// yet" (or, stale, a move to finish); anything else means S was released and D is the document, at the arriving
// object's own ETag. That answer is final for that ETag — only the mover writes `leaving{token}` into S, once, and a
// released S never holds it again — so the process remembers it (Documents.released) and reads S no more, and the
// mover itself never reads S at all. Earlier versions then rewrote D as a plain document ("settling" it), which cost
// the first reader a PUT and, worse, changed the version the mover had just handed its caller: a spooler's next
// renewal or completion then failed its If-Match and re-read, four requests for one. Not rewriting changes no state
// a reader can see (an arriving D with S released meant "the document is at D" before as well), and it keeps the
// invariant that recovery relies on: D changes only after S is released, so a stale marker with D empty still means
// "not arrived yet". A document that is never written again (a finished job) stays `arriving`; each process that
// reads it pays the one GET of S once.
import type { MoveOptions } from '../contract.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { Documents } from './documents.ts';
import { newId, valueOf, type ArrivingEnvelope, type LeavingEnvelope } from './envelope.ts';
import { label, type Address, type S3Layout } from './layout.ts';
import { situation, valueField, writeFresh, type FirstLook, type Situation } from './situation.ts';

type Movable = Extract<Situation, { kind: 'live' }>;

/** The source as it is now, if it can be moved at `expectedVersion`. */
async function movable(docs: Documents, layout: S3Layout, from: Address, expectedVersion?: string): Promise<Movable> {
  // The lifecycle reads the source right before moving it: its body is in the cache at the expected ETag, or that
  // read has just found it leaving (its pre-move version is what get() handed out), a lost race without asking S3.
  const seen = docs.lastSeen(from)?.envelope;
  if (seen?.state === 'leaving' && seen.originalVersion === expectedVersion && !docs.isStale(seen)) {
    throw new ConflictError(`${label(from)} is being moved concurrently`);
  }
  const hit = expectedVersion === undefined ? undefined : docs.cached(from, expectedVersion);
  const known = hit && (hit.envelope.state === 'live' || docs.isReleased(from, hit.etag));
  const found: Situation = known ? { kind: 'live', observed: hit, value: valueOf(hit.envelope) } : await situation(docs, layout, from);
  if (found.kind === 'transit') throw new ConflictError(`${label(from)} is being moved concurrently`);
  if (found.kind !== 'live') throw new NotFoundError(`${label(from)} does not exist`);
  if (expectedVersion !== undefined && found.observed.etag !== expectedVersion) {
    throw new ConflictError(`${label(from)} was changed concurrently`);
  }
  return found;
}

async function lostRace(docs: Documents, layout: S3Layout, from: Address, current: FirstLook): Promise<Error> {
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

  // 3. Release the source: our own marker, so deleting it unconditionally is safe (situation.ts). From here on
  // this process knows D's arriving version is the document itself.
  await docs.remove(from, taken.etag, leaving.at);
  docs.released(to, arrived.etag);
  return arrived.etag;
}
