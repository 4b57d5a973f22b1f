// Password hashing with scrypt (memory-hard), a random salt per user and the cost parameters stored beside the
// hash, so the cost can be raised later without invalidating old hashes. Comparison is constant-time.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  algorithm: 'scrypt';
  /** N = 2^logN */
  logN: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
// Bounds on parameters read back from storage, so a tampered record cannot make a login allocate gigabytes.
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    // NFC so that the same password typed on different systems derives the same key.
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, logN: number): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, logN, BLOCK_SIZE, PARALLELISM);
  return { algorithm: 'scrypt', logN, r: BLOCK_SIZE, p: PARALLELISM, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/** A throwaway hash to compare against when the user does not exist, so timing does not reveal usernames. */
let decoy: Promise<PasswordHash> | undefined;

export async function verifyPassword(password: string, stored: PasswordHash | undefined, decoyLogN: number): Promise<boolean> {
  const usable = stored && stored.algorithm === 'scrypt' && stored.logN >= MIN_LOG_N && stored.logN <= MAX_LOG_N && stored.r === BLOCK_SIZE && stored.p === PARALLELISM;
  decoy ??= hashPassword(randomBytes(16).toString('hex'), decoyLogN);
  const target = usable ? stored : await decoy;
  const expected = Buffer.from(target.hash, 'base64');
  const actual = await derive(password, Buffer.from(target.salt, 'base64'), target.logN, target.r, target.p);
  return expected.length === actual.length && timingSafeEqual(expected, actual) && usable === true;
}
