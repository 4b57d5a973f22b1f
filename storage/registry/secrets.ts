// Encryption at rest for provider logins: AES-256-GCM under a key derived from QSPOOL_SECRET_KEY, so a copy of
// the registry documents alone reveals no credentials.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { QspoolError } from '../../schemas/errors.ts';

export interface SealedLogin {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  data: string;
}

export class SecretKeyError extends QspoolError {
  constructor(message: string) {
    super('secret_key', 500, message);
  }
}

function keyFrom(secret: string | undefined): Buffer {
  if (!secret || secret.length < 16) {
    throw new SecretKeyError('QSPOOL_SECRET_KEY must be set (at least 16 characters) to store or read provider logins');
  }
  return createHash('sha256').update(secret).digest();
}

export function seal(login: Record<string, unknown>, secret: string | undefined): SealedLogin {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(login), 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function unseal(sealed: SealedLogin, secret: string | undefined): Record<string, unknown> {
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SecretKeyError('Cannot decrypt a provider login: QSPOOL_SECRET_KEY differs from the one it was stored with');
  }
}
