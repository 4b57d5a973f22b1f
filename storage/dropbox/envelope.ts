// The bytes of one stored document, and how a reader turns them into the value it sees.
//
// A file holds `{"write": <random id>, "value": <document>}`. The random id makes every write's content unique, so
// every write gets a new Dropbox rev (Dropbox keeps the rev of a byte-identical upload) and a content_hash names
// exactly one write, which is how a retried request recognises its own earlier, unanswered attempt.
//
// While a move is under way the source also carries `"moving": {"to", "value"?, "over"}`: read in namespace `to`,
// such a file shows `moving.value` at its own rev; read anywhere else it shows `value` at version `over`, the rev
// it had before the intent was written. The move writes this intent before `files/move_v2`, so a crash after the
// move leaves a destination that already reads right, and a crash before it changes nothing anyone can see.
import { createHash, randomBytes } from 'node:crypto';

export interface MoveIntent {
  to: string;
  value?: unknown;
  /** The version readers of the source see while the intent is pending: writing an intent is not a change. */
  over: string;
}

export interface Envelope {
  write: string;
  value?: unknown;
  moving?: MoveIntent;
}

export interface EncodedDocument {
  bytes: Buffer;
  /** Dropbox content_hash of `bytes`. */
  hash: string;
}

const BLOCK_SIZE = 4 * 1024 * 1024;

/** Dropbox content_hash: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block. */
export function contentHash(data: Buffer): string {
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += BLOCK_SIZE) {
    blocks.push(createHash('sha256').update(data.subarray(offset, offset + BLOCK_SIZE)).digest());
  }
  return createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
}

export function encodeDocument(value: unknown, moving?: MoveIntent): EncodedDocument {
  const envelope: Envelope = { write: randomBytes(8).toString('hex'), value, ...(moving ? { moving } : {}) };
  const bytes = Buffer.from(JSON.stringify(envelope));
  return { bytes, hash: contentHash(bytes) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseDocument(bytes: Buffer, path: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed) || typeof parsed.write !== 'string') throw new Error(`${path} is not a qspool document`);
  const moving = parsed.moving;
  if (moving !== undefined && (!isObject(moving) || typeof moving.to !== 'string' || typeof moving.over !== 'string')) {
    throw new Error(`${path} has a malformed move intent`);
  }
  return parsed as unknown as Envelope;
}

/** The document as a reader in `namespace` sees it. */
export function visibleValue(envelope: Envelope, namespace: string): unknown {
  const moving = envelope.moving;
  if (moving && moving.to === namespace && 'value' in moving) return moving.value;
  return envelope.value;
}

/** The version a reader in `namespace` sees: a pending intent elsewhere leaves the version it was written over. */
export function versionOf(envelope: Envelope, rev: string, namespace: string): string {
  const moving = envelope.moving;
  return moving && moving.to !== namespace ? moving.over : rev;
}
