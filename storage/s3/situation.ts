// What an object means to a reader or writer, once the markers of unfinished moves and deletes are taken into
// account, and the recovery of markers whose writer died (see move.ts for the protocol and its crash analysis).
//
// The rules that keep unconditional DELETEs (RGW ignores If-Match on DELETE) from removing anyone's document:
//  * Only the writer of a marker deletes it, right after writing it: the mover its `leaving` source, a deleter
//    its `deleting` marker. To delete anything else, a process first overwrites it with its own `deleting` marker
//    by If-Match (exactly one process wins that) and then deletes that.
//  * Nobody else overwrites or deletes a marker while it is fresh (younger than staleAfterMs): writers wait for it
//    to go, readers read through it. Once stale, its writer is presumed dead and anyone may finish its work.
// So an unconditional DELETE can only hit a newer document if its sender stalled for longer than staleAfterMs
// between writing its marker and deleting it; a sender that notices it was slow looks before it deletes
// (Documents.remove), which leaves a stall right between that look and the DELETE. On AWS, which honours If-Match
// on DELETE, not even then.
import { StorageUnavailableError } from '../../schemas/errors.ts';
import type { Documents, Observed, WriteResult } from './documents.ts';
import { decode, newId, valueOf, type ArrivingEnvelope, type Envelope, type LeavingEnvelope } from './envelope.ts';
import { label, type Address, type S3Layout } from './layout.ts';

export type Situation =
  /** Nothing is stored at the key. */
  | { kind: 'absent' }
  /** A document; its version is the object's ETag (also an `arriving` object whose source is released). */
  | { kind: 'live'; observed: Observed; value: unknown }
  /** A document being moved away: still here for readers, at its pre-move version, but no longer writable. */
  | { kind: 'transit'; observed: Observed; value: unknown; version: string }
  /** A document being moved here, not yet released by its source: absent for readers, taken for writers. */
  | { kind: 'incoming'; observed: Observed }
  /** A delete in progress (a fresh `deleting` marker): absent, and free as soon as its writer deletes it. */
  | { kind: 'vanishing'; observed: Observed };

/** An observation just made by the caller (possibly "absent"), so that situation() need not read again. */
export interface FirstLook {
  observed: Observed | undefined;
}

/** Enough to resolve any chain of leftovers; a key that changes this often is reported as busy. */
const MAX_ROUNDS = 8;

export function valueField(value: unknown): { value?: unknown } {
  return value === undefined ? {} : { value };
}

function valueOfBody(body: string): unknown {
  return valueOf(decode(body));
}

export function busy(at: Address): StorageUnavailableError {
  return new StorageUnavailableError(`${label(at)} is busy with another process's unfinished move or delete; try again`, 1);
}

/**
 * The situation at `at`, from `first` (an observation just made, possibly "absent") or a fresh read. Stale
 * leftovers met on the way are resolved first, so a crash is repaired by whoever next touches the key.
 */
export async function situation(
  docs: Documents,
  layout: S3Layout,
  at: Address,
  first?: FirstLook,
): Promise<Situation> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const current = round === 0 && first ? first.observed : await docs.read(at);
    if (!current) return { kind: 'absent' };
    const envelope = current.envelope;
    switch (envelope.state) {
      case 'live':
        return { kind: 'live', observed: current, value: envelope.value };
      case 'deleting':
        if (!docs.isStale(envelope)) return { kind: 'vanishing', observed: current };
        // Left by a crashed deleter: finish its delete, so the key stops showing up in listings.
        await takeOverAndDelete(docs, at, current.etag);
        break;
      case 'leaving':
        if (!docs.isStale(envelope)) {
          return { kind: 'transit', observed: current, value: valueOfBody(envelope.original), version: envelope.originalVersion };
        }
        await rollForward(docs, layout, at, current, envelope);
        break;
      case 'arriving': {
        // Known released (this process moved it here, or looked before at this very version): no request.
        if (docs.isReleased(at, current.etag)) return { kind: 'live', observed: current, value: envelope.value };
        const source = layout.address(envelope.from, at.key);
        const there = await docs.read(source);
        if (there?.envelope.state === 'leaving' && there.envelope.id === envelope.id) {
          if (!docs.isStale(there.envelope)) return { kind: 'incoming', observed: current };
          await rollForward(docs, layout, source, there, there.envelope);
          break;
        }
        // The source is released, for good: this is the document, at the arriving object's version. It is not
        // rewritten (see "Arrivals are never rewritten" in move.ts); this process remembers the answer instead.
        docs.released(at, current.etag);
        return { kind: 'live', observed: current, value: envelope.value };
      }
    }
  }
  throw busy(at);
}

/**
 * Creates `envelope` where no document is: If-None-Match, waiting for a delete in progress to finish (stale
 * leftovers are cleared by situation()). Lost when a document (or a move into or out of the key) is there;
 * `current` then shows it.
 */
export async function writeFresh(docs: Documents, layout: S3Layout, at: Address, envelope: Envelope): Promise<WriteResult> {
  const started = Date.now();
  for (let round = 0; round < 4 * MAX_ROUNDS; round += 1) {
    const created = await docs.write(at, envelope, { ifAbsent: true });
    if (created.won) return created;
    const found = await situation(docs, layout, at, { observed: created.current });
    if (found.kind === 'vanishing') {
      if (!(await docs.pause(started, round))) break;
    } else if (found.kind !== 'absent') {
      return { won: false, current: found.observed };
    }
  }
  throw busy(at);
}

/** Deletes an object that is not ours: take it over with our own `deleting` marker (one winner), then delete that. */
async function takeOverAndDelete(docs: Documents, at: Address, etag: string): Promise<boolean> {
  const markedAt = docs.now();
  const taken = await docs.write(at, { state: 'deleting', id: newId(), at: markedAt }, { ifMatch: etag });
  if (taken.won) await docs.remove(at, taken.etag, markedAt);
  return taken.won;
}

/**
 * Finishes the move of a crashed (stale) mover: the source was taken, so the move is decided; it lands the document
 * at the destination (the same `arriving` body the mover would write, so racing it is harmless) and releases the
 * source. Only if another document holds the destination is the move undone, by writing the source's original bytes
 * back over the marker.
 */
async function rollForward(
  docs: Documents,
  layout: S3Layout,
  source: Address,
  leaving: Observed,
  envelope: LeavingEnvelope,
): Promise<void> {
  const target = layout.address(envelope.to, source.key);
  const arriving: ArrivingEnvelope = { state: 'arriving', id: envelope.id, from: source.namespace, ...valueField(envelope.value) };
  const arrived = await writeFresh(docs, layout, target, arriving);
  if (!arrived.won) {
    // A settled copy of this very move (written by earlier versions of this provider) means another helper finished
    // it; anything else blocks the destination. (Our own arriving body there counts as written by us: Documents.write.)
    const finished = arrived.current?.envelope.state === 'live' && arrived.current.envelope.id === envelope.id;
    if (!finished) await docs.write(source, { raw: envelope.original }, { ifMatch: leaving.etag });
    return;
  }
  if (await takeOverAndDelete(docs, source, leaving.etag)) docs.released(target, arrived.etag);
}
