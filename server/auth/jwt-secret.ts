// The HS256 key of access tokens. Configured (QSPOOL_JWT_SECRET), or generated on first start and kept in storage
// as `server/jwt-secret`, sealed (AES-256-GCM) under the server's secret key (server-key.ts): a copy of storage
// cannot mint tokens. A key an older qspool stored in plain text is sealed on start, unchanged, so tokens signed
// with it stay valid; so is one sealed under a previous key (after a key rotation), again unchanged.
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import type { SealedKind } from '../../storage/registry/reseal.ts';
import { seal, sealedWithCurrent, SecretKeyError, unseal, type SealedLogin, type SecretKeysInput } from '../../storage/registry/secrets.ts';

const SECRET_NS = 'server';
const SECRET_KEY = 'jwt-secret';

/** `secret` only in documents written before keys were sealed. */
type StoredJwtSecret = { sealed: SealedLogin } | { secret: string };

function opened(stored: StoredJwtSecret, keys: SecretKeysInput): string {
  if ('secret' in stored) return stored.secret;
  try {
    return String(unseal(stored.sealed, keys).secret);
  } catch (error) {
    throw new SecretKeyError(`Cannot open the stored JWT key (server/jwt-secret): ${(error as Error).message}`);
  }
}

/** The stored JWT key among the secrets a key rotation re-seals. */
export const jwtSecretKind: SealedKind<StoredJwtSecret> = {
  name: 'jwt-secret',
  async *documents(storage) {
    if (await storage.get(SECRET_NS, SECRET_KEY)) yield [SECRET_NS, SECRET_KEY];
  },
  secret: (stored) => ('secret' in stored ? { plain: { secret: stored.secret } } : { sealed: stored.sealed }),
  withSealed: (_stored, sealed) => ({ sealed }),
};

/**
 * The configured key, or the one kept in storage. Servers sharing storage race with create-only and
 * compare-and-swap writes, so all of them end up with the winner's key.
 */
export async function loadJwtSecret(storage: StorageProvider, configured: string, keys: SecretKeysInput): Promise<string> {
  if (configured) return configured;
  for (;;) {
    const stored = await storage.get<StoredJwtSecret>(SECRET_NS, SECRET_KEY);
    try {
      if (!stored) {
        const secret = randomBytes(48).toString('base64url');
        await storage.put(SECRET_NS, SECRET_KEY, { sealed: seal({ secret }, keys) }, { ifAbsent: true });
        return secret;
      }
      const secret = opened(stored.value, keys);
      if ('secret' in stored.value || !sealedWithCurrent(stored.value.sealed, keys)) await storage.replace(SECRET_NS, SECRET_KEY, { sealed: seal({ secret }, keys) }, stored.version);
      return secret;
    } catch (error) {
      // Another server wrote first: read what it wrote.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}
