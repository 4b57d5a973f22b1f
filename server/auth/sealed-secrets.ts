// Every kind of secret the server keeps sealed at rest (the JWT key, registered providers' logins, webhook signing
// secrets), and their re-sealing in the background on start: after a key rotation each server brings what is sealed
// under the previous key (or, from an older qspool, in plain text) under the current one, so servers sharing storage
// converge without anyone running `qspool secret-key reseal`. Writes are compare-and-swap, so replicas doing it at once
// and requests changing the documents meanwhile lose nothing.
import type { Logger } from '../../config/logger.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { providerLoginKind } from '../../storage/registry/index.ts';
import { resealAll, type SealedKind } from '../../storage/registry/reseal.ts';
import type { SecretKeys } from '../../storage/registry/secrets.ts';
import { webhookSecretKind } from '../notifications/webhooks.ts';
import { jwtSecretKind } from './jwt-secret.ts';

export const SEALED_KINDS: readonly SealedKind[] = [jwtSecretKind, providerLoginKind, webhookSecretKind];

export interface BackgroundReseal {
  /** Stops at the next document and waits for that. */
  close(): Promise<void>;
}

export function resealInBackground(storage: StorageProvider, keys: SecretKeys, logger: Logger): BackgroundReseal {
  const log = logger.child({ component: 'secret-key' });
  let stopped = false;
  const run = resealAll(storage, SEALED_KINDS, keys, {
    stopped: () => stopped,
    onUnreadable: (secret) =>
      log.error(
        secret,
        `a stored secret (${secret.kind} ${secret.namespace}/${secret.key}) opens with none of this server's keys: give it the key ` +
          'that sealed it as QSPOOL_SECRET_KEY or QSPOOL_SECRET_KEY_PREVIOUS (README, Rotating the secret key)',
      ),
  }).then(
    (counts) => {
      const resealed = Object.values(counts).reduce((sum, count) => sum + count.resealed, 0);
      if (resealed > 0) log.info({ counts }, `sealed ${resealed} stored secrets again under the current key`);
    },
    (error: unknown) => log.error({ err: error }, 're-sealing stored secrets failed'),
  );
  return {
    close: async () => {
      stopped = true;
      await run;
    },
  };
}
