// The JSON body of every object the S3 provider writes. Most are plain documents ("live"); the others are the
// markers of the move and delete protocols (move.ts, situation.ts), which must survive a crash and be readable by
// any other process. Every body carries a fresh random id, so no two writes produce the same bytes: ETags (the
// versions) never repeat, and after an ambiguous answer a re-read shows whether our own write landed.
import { randomBytes } from 'node:crypto';

/** A document as callers see it. Objects qspool did not write parse as live documents with an empty id. */
export interface LiveEnvelope {
  state: 'live';
  id: string;
  value?: unknown;
}

/**
 * A moved document at its destination, written before its source is released (move.ts, step 2). It stays like this
 * until the document's next write: readers tell "arrived" from "on its way" by looking at the source once.
 */
export interface ArrivingEnvelope {
  state: 'arriving';
  /** The move's token, the same as in the source's leaving marker. */
  id: string;
  /** Namespace of the source, under the same key. */
  from: string;
  value?: unknown;
}

/** The source of a move, taken by compare-and-swap (move.ts, step 1): readers still see `original` here. */
export interface LeavingEnvelope {
  state: 'leaving';
  /** The move's token. */
  id: string;
  to: string;
  /** Writer's clock (ms) when taken; older than `staleAfterMs`, anyone may finish the move. */
  at: number;
  /** The document's content at its destination. */
  value?: unknown;
  /** The exact body that was replaced, rewritten byte for byte if the move is rolled back. */
  original: string;
  originalVersion: string;
}

/** Written by compare-and-swap right before an unconditional DELETE, so only its writer deletes the object. */
export interface DeletingEnvelope {
  state: 'deleting';
  id: string;
  at: number;
}

export type Envelope = LiveEnvelope | ArrivingEnvelope | LeavingEnvelope | DeletingEnvelope;
export type Marker = LeavingEnvelope | DeletingEnvelope;

const FORMAT = 1;

export function newId(): string {
  return randomBytes(12).toString('hex');
}

export function encode(envelope: Envelope): string {
  return JSON.stringify({ qspool: FORMAT, ...envelope });
}

type Fields = Record<string, unknown>;

const isString = (value: unknown): value is string => typeof value === 'string';

function contentOf(fields: Fields): { value?: unknown } {
  return 'value' in fields ? { value: fields.value } : {};
}

function asEnvelope(fields: Fields): Envelope | undefined {
  const { state, id } = fields;
  if (!isString(id)) return undefined;
  switch (state) {
    case 'live':
      return { state, id, ...contentOf(fields) };
    case 'arriving':
      return isString(fields.from) ? { state, id, from: fields.from, ...contentOf(fields) } : undefined;
    case 'leaving': {
      const { to, at, original, originalVersion } = fields;
      if (!isString(to) || typeof at !== 'number' || !isString(original) || !isString(originalVersion)) return undefined;
      return { state, id, to, at, original, originalVersion, ...contentOf(fields) };
    }
    case 'deleting':
      return typeof fields.at === 'number' ? { state, id, at: fields.at } : undefined;
    default:
      return undefined;
  }
}

export function decode(body: string): Envelope {
  const parsed = JSON.parse(body) as unknown;
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && (parsed as Fields).qspool === FORMAT) {
    const envelope = asEnvelope(parsed as Fields);
    if (envelope) return envelope;
  }
  return { state: 'live', id: '', value: parsed };
}

/** The document content an envelope carries (markers of a delete carry none). */
export function valueOf(envelope: Envelope): unknown {
  return 'value' in envelope ? envelope.value : undefined;
}

/** Whether `current` is the write described by `intended` (same kind, same random id): it landed. */
export function sameWrite(current: Envelope, intended: Envelope): boolean {
  return current.id !== '' && current.id === intended.id && current.state === intended.state;
}
