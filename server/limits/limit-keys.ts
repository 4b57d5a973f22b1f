// Keys of limit state in the shared store (rate buckets, password budgets, known addresses) name client addresses
// and credentials. Whoever reads the store alone must not learn which: a plain hash of an IPv4 address is undone by
// trying all 2^32 of them. So keys are HMACs under the server's secret key, which every replica of one store shares.
import { createHmac } from 'node:crypto';

/** Text to a storage key (40 hex characters) that only holders of the secret key can link back to it. */
export type KeyDigest = (text: string) => string;

export function keyDigest(secretKey: string): KeyDigest {
  return (text) => createHmac('sha256', secretKey).update(text).digest('hex').slice(0, 40);
}
