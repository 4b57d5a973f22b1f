// The key qspool's spooler signs with on a sqooler-layout provider: the backend's qspool signing key
// (QSPOOL_SIGNING_KEY_<BACKEND>, PEM text or a PEM file; else generated into the data directory on first start) under
// qspool's self-certifying key id, so one backend keeps one key whichever layout its provider has.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultKeyFile, Signer } from '../../spooler/signing/keys.ts';
import type { SqoolerKey } from './signatures.ts';

export function loadSqoolerKey(backend: string, setting: string | undefined, dataDir: string): SqoolerKey {
  // Signer.load creates the key file on first start and refuses a key that is not Ed25519.
  const { kid } = Signer.load(backend, setting, dataDir);
  const pem = setting?.trimStart().startsWith('-----BEGIN') ? setting : readFileSync(setting || defaultKeyFile(dataDir, backend), 'utf8');
  return { kid, privateKey: createPrivateKey(pem) };
}
