// Validation of everything that becomes part of a storage address, and the time-ordered job id generator.
// Every provider calls these before touching its store, so a hostile key is refused the same way everywhere (I8).
import { randomBytes } from 'node:crypto';
import { InvalidKeyError } from '../schemas/errors.ts';

/** Slash-separated segments, each like `fermions` or `queued` (one expression: splitting first cost 1% of a submission). */
const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}(?:\/[a-z0-9][a-z0-9_-]{0,63})*$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export const JOB_ID = /^[0-9a-f]{24}$/;

function describe(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

/** Namespaces are slash-separated segments such as `jobs/queued/fermions`. */
export function assertNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || namespace.length > 256 || !NAMESPACE.test(namespace)) {
    throw new InvalidKeyError(`Invalid namespace ${describe(String(namespace))}`);
  }
}

/** An area is a namespace's first segment (StorageProvider.revision). */
export function assertArea(area: string): void {
  assertNamespace(area);
  if (area.includes('/')) throw new InvalidKeyError(`Invalid area ${describe(area)}: one namespace segment`);
}

/** Keys are single path segments: no separators, no dot-only names, no control characters, at most 200 chars. */
export function isKey(key: unknown): key is string {
  return typeof key === 'string' && KEY.test(key);
}

export function assertKey(key: string): void {
  if (!isKey(key)) throw new InvalidKeyError(`Invalid key ${describe(String(key))}`);
}

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID.test(value);
}

let lastMillis = 0;
let sequence = 0;

/**
 * 24 hex chars: 12 for the millisecond clock, 4 for a per-process sequence that keeps ids from one process
 * strictly increasing within a millisecond, 8 random so that processes do not collide.
 */
export function newJobId(now = Date.now()): string {
  if (now <= lastMillis) {
    sequence += 1;
    if (sequence > 0xffff) {
      lastMillis += 1;
      sequence = 0;
    }
  } else {
    lastMillis = now;
    sequence = 0;
  }
  return (
    lastMillis.toString(16).padStart(12, '0') +
    sequence.toString(16).padStart(4, '0') +
    randomHex8()
  );
}

/** A fresh id that sorts after `floor`, another id: the floor's clock and sequence part plus one, then random. */
export function idAbove(floor: string): string {
  return (BigInt(`0x${floor.slice(0, 16)}`) + 1n).toString(16).padStart(16, '0') + randomHex8();
}

// Random bytes drawn a few kilobytes at a time: asking the kernel for 4 bytes per id was a visible share of a busy
// server's time (several ids per submission).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomHex8(): string {
  if (poolOffset + 4 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  poolOffset += 4;
  return pool.toString('hex', poolOffset - 4, poolOffset);
}

/** Milliseconds since the epoch encoded in a job id. */
export function jobIdTime(id: string): number {
  return parseInt(id.slice(0, 12), 16);
}
