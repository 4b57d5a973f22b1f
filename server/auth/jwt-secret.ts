// The HS256 key of access tokens. Configured (QSPOOL_JWT_SECRET), or generated on first start and kept in storage
// as `server/jwt-secret`, sealed (AES-256-GCM) under the server's secret key (server-key.ts): a copy of storage
// cannot mint tokens. A key an older qspool stored in plain text is sealed on start, unchanged, so tokens signed
// with it stay valid.
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { seal, SecretKeyError, unseal, type SealedLogin } from '../../storage/registry/secrets.ts';

const SECRET_NS = 'server';
const SECRET_KEY = 'jwt-secret';

/** `secret` only in documents written before keys were sealed. */
type StoredJwtSecret = { sealed: SealedLogin } | { secret: string };

function opened(stored: StoredJwtSecret, secretKey: string): string {
  if ('secret' in stored) return stored.secret;
  try {
    return String(unseal(stored.sealed, secretKey).secret);
  } catch {
    throw new SecretKeyError(
      'Cannot decrypt the stored JWT key: QSPOOL_SECRET_KEY (or the key file in the data directory) differs from the one ' +
        'it was sealed with; every server sharing this storage needs the same QSPOOL_SECRET_KEY',
    );
  }
}

/**
 * The configured key, or the one kept in storage. Servers sharing storage race with create-only and
 * compare-and-swap writes, so all of them end up with the winner's key.
 */
export async function loadJwtSecret(storage: StorageProvider, configured: string, secretKey: string): Promise<string> {
  if (configured) return configured;
  for (;;) {
    const stored = await storage.get<StoredJwtSecret>(SECRET_NS, SECRET_KEY);
    try {
      if (!stored) {
        const secret = randomBytes(48).toString('base64url');
        await storage.put(SECRET_NS, SECRET_KEY, { sealed: seal({ secret }, secretKey) }, { ifAbsent: true });
        return secret;
      }
      const secret = opened(stored.value, secretKey);
      if ('secret' in stored.value) await storage.replace(SECRET_NS, SECRET_KEY, { sealed: seal({ secret }, secretKey) }, stored.version);
      return secret;
    } catch (error) {
      // Another server wrote first: read what it wrote.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}
