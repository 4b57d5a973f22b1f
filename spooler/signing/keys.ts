// A backend's signing key: Ed25519, from a PEM file or PEM text the operator configures, or generated on first start
// into the data directory (mode 0600 in a 0700 directory). A key file, or the directory of generated ones, that group
// or others can read is refused, as the server refuses its own key file: whoever reads it can sign as the backend. Its key id is self-certifying, `<backend>-<RFC 7638 thumbprint>`, so a
// verifier can tell that a published key is the one the id names. The public half is published under `keys/<kid>`.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendConfig } from '../../schemas/backend-config.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { CONFIG_SIGNATURES } from '../../storage/namespaces.ts';
import { ns } from '../../storage/records.ts';
import { publicJwk, signDetached, thumbprint, type Jwk } from './jws.ts';
import { makeDirectorySync } from '../../storage/directories.ts';
import { createPrivateFileOnce, refuseIfOpenSync } from '../../storage/private-files.ts';

export interface ConfigSignature {
  kid: string;
  jws: string;
}

/** Generated keys live here, inside the data directory but outside every storage namespace (dot directory). */
export function defaultKeyFile(dataDir: string, backend: string): string {
  return join(dataDir, '.signing-keys', `${backend}.pem`);
}

/** The PEM in the file the operator named. */
function readNamed(backend: string, file: string): string {
  const found = statSync(file, { throwIfNoEntry: false });
  // The setting is not echoed: it may be key material without its PEM header.
  if (!found?.isFile()) {
    throw new Error(`QSPOOL_SIGNING_KEY_${backend.toUpperCase()} is neither PEM text nor the path of a PEM file (${found ? 'not a file' : 'no such file'}); unset it to use the generated key`);
  }
  refuseIfOpenSync(file, '600');
  return readFileSync(file, 'utf8');
}

/**
 * The PEM in `file`, created with a fresh key first if there is none (createPrivateFileOnce: spoolers starting at once
 * all end up with the winner's key, and none reads a half-written one, nor an empty one after a power cut).
 */
function readOrCreate(file: string): string {
  makeDirectorySync(dirname(file), 0o700);
  refuseIfOpenSync(dirname(file), '700');
  refuseIfOpenSync(file, '600');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  createPrivateFileOnce(file, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  return readFileSync(file, 'utf8');
}

export class Signer {
  readonly kid: string;
  readonly jwk: Jwk;

  constructor(
    readonly backend: string,
    private readonly privateKey: KeyObject,
  ) {
    const anonymous = publicJwk(createPublicKey(privateKey), '');
    this.kid = `${backend}-${thumbprint(anonymous)}`;
    this.jwk = { ...anonymous, kid: this.kid };
  }

  /**
   * `setting` is PEM text or the path of an existing PEM file (PKCS#8); without one the key file in the data
   * directory is used, and created on first start. A named file is never created: a mistyped path would otherwise
   * sign results under a key nobody announced.
   */
  static load(backend: string, setting: string | undefined, dataDir: string): Signer {
    const pem = !setting ? readOrCreate(defaultKeyFile(dataDir, backend)) : setting.trimStart().startsWith('-----BEGIN') ? setting : readNamed(backend, setting);
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key of ${backend} is ${key.asymmetricKeyType}, not Ed25519`);
    return new Signer(backend, key);
  }

  /** A detached compact JWS of the document (see jws.ts). */
  sign(document: unknown): string {
    return signDetached(document, this.privateKey, this.kid);
  }

  /** Publishes the public key and the config's signature; call before the config itself is published. */
  async publish(storage: StorageProvider, config: BackendConfig): Promise<void> {
    await storage.put(ns.keys, this.kid, this.jwk);
    const signature: ConfigSignature = { kid: this.kid, jws: this.sign(config) };
    await storage.put(CONFIG_SIGNATURES, this.backend, signature);
  }
}
