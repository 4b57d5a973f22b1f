// Encryption at rest for provider logins and the server's other secrets: AES-256-GCM under a key derived from
// QSPOOL_SECRET_KEY (or the server's key file). Each sealed value names the key that sealed it by a key id, a keyed
// hash of the derived key that tells nothing about it, so that after a rotation the previous key still opens what it
// sealed until everything is sealed again under the new one (reseal.ts). Values sealed before key ids
// existed carry none: every known key is tried on them.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { QspoolError } from '../../schemas/errors.ts';

export interface SealedLogin {
  alg: 'A256GCM';
  /** keyId() of the key that sealed it; absent on values sealed before key ids existed. */
  kid?: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * The keys of secrets at rest: `current` seals (and opens), each of `previous` only opens. A lone string is a current
 * key without previous ones; undefined, no key configured.
 */
export interface SecretKeys {
  current: string;
  previous: readonly string[];
}
export type SecretKeysInput = SecretKeys | string | undefined;

export class SecretKeyError extends QspoolError {
  constructor(message: string) {
    super('secret_key', 500, message);
  }
}

/**
 * A sealed value none of the configured keys opens: sealed under a key this process was not given (a replica not yet
 * restarted with a rotated key meeting what one that was sealed), or damaged. 503: the request may succeed on retry.
 */
export class SecretUnreadableError extends QspoolError {
  readonly kid: string | undefined;

  constructor(kid: string | undefined, keys: SecretKeys) {
    const known = [keyId(keys.current), ...keys.previous.map(keyId)].join(', ');
    super(
      'secret_unreadable',
      503,
      `A stored secret (${kid ? `sealed with key id ${kid}` : 'sealed before key ids'}) opens with none of this process's keys ` +
        `(key ids ${known}): give it the key that sealed it, as QSPOOL_SECRET_KEY or QSPOOL_SECRET_KEY_PREVIOUS ` +
        '(README, Rotating the secret key)',
    );
    this.kid = kid;
  }
}

const KEY_ID_LABEL = 'qspool secret key id v1';

function derived(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** 16 hex characters naming a key: an HMAC of a fixed label under the derived key, so it reveals nothing usable of it. */
export function keyId(secret: string): string {
  return createHmac('sha256', derived(secret)).update(KEY_ID_LABEL).digest('hex').slice(0, 16);
}

export function secretKeys(input: SecretKeysInput): SecretKeys {
  const keys = typeof input === 'string' ? { current: input, previous: [] } : input;
  if (!keys?.current || keys.current.length < 16) {
    throw new SecretKeyError('QSPOOL_SECRET_KEY must be set (at least 16 characters) to store or read provider logins');
  }
  return keys;
}

export function seal(login: Record<string, unknown>, input: SecretKeysInput): SealedLogin {
  const { current } = secretKeys(input);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derived(current), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(login), 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', kid: keyId(current), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function openWith(sealed: SealedLogin, secret: string): Record<string, unknown> | undefined {
  const decipher = createDecipheriv('aes-256-gcm', derived(secret), Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The sealed value, opened with the key its id names (every key for a value without one); SecretUnreadableError if none. */
export function unseal(sealed: SealedLogin, input: SecretKeysInput): Record<string, unknown> {
  const keys = secretKeys(input);
  const candidates = [keys.current, ...keys.previous].filter((secret) => sealed.kid === undefined || keyId(secret) === sealed.kid);
  for (const secret of candidates) {
    const opened = openWith(sealed, secret);
    if (opened) return opened;
  }
  throw new SecretUnreadableError(sealed.kid, keys);
}

/** Whether the value is sealed under the current key (nothing to re-seal). */
export function sealedWithCurrent(sealed: SealedLogin, input: SecretKeysInput): boolean {
  return sealed.kid === keyId(secretKeys(input).current);
}
