// Verification of signed results and configs, for the server endpoint and `qspool verify`: the signature must be an
// EdDSA JWS by a key published under `keys/<kid>`, the key must be the one its id names and belong to the job's
// backend, and the signature must cover exactly the document as stored now. Whoever can write the store can publish a
// key of their own there too, so an operator may name the keys to trust (QSPOOL_TRUSTED_SIGNING_KEYS): a key id binds
// the key's thumbprint, and only a named one then verifies.
import type { StorageProvider } from '../../storage/contract.ts';
import type { JobLifecycle } from '../../storage/lifecycle.ts';
import { ns, type JobRecord } from '../../storage/records.ts';
import { jwsHeader, thumbprint, verifyDetached, type Jwk } from './jws.ts';
import { CONFIG_SIGNATURES } from '../../storage/namespaces.ts';
import type { ConfigSignature } from './keys.ts';

export interface SignatureReport {
  /** A signature is stored for the document. */
  signed: boolean;
  valid: boolean;
  kid: string | null;
  alg: string | null;
  /** Why the signature is not valid; null when it is. */
  reason: string | null;
  /** The detached compact JWS (`header..signature`) as stored. */
  jws: string | null;
  /** The public key that verified it. */
  key: Jwk | null;
}

const unsigned = (reason: string): SignatureReport => ({ signed: false, valid: false, kid: null, alg: null, reason, jws: null, key: null });

/** The key ids whose signatures verify; undefined: any key published under keys/. */
export type TrustedKeys = ReadonlySet<string> | undefined;

/** Checks `jws` against `document`, with the key it names, which must belong to `backend` (and be trusted). */
async function verifyDocument(storage: StorageProvider, backend: string, document: unknown, jws: string, trusted: TrustedKeys): Promise<SignatureReport> {
  const header = jwsHeader(jws);
  const report = { signed: true, kid: header?.kid ?? null, alg: header?.alg ?? null, jws };
  const invalid = (reason: string, key: Jwk | null = null): SignatureReport => ({ ...report, valid: false, reason, key });
  if (!header) return invalid('the signature is not a detached compact JWS');
  if (header.alg !== 'EdDSA') return invalid(`unsupported algorithm ${JSON.stringify(header.alg)} (expected EdDSA)`);
  const kid = header.kid;
  if (typeof kid !== 'string' || !kid.startsWith(`${backend}-`)) return invalid(`the signing key ${JSON.stringify(kid)} is not a key of backend ${backend}`);
  if (trusted && !trusted.has(kid)) return invalid(`the signing key ${kid} is not one of the trusted keys (QSPOOL_TRUSTED_SIGNING_KEYS)`);
  const stored = await storage.get<Jwk>(ns.keys, kid).catch(() => undefined);
  if (!stored) return invalid(`the signing key ${kid} is not published under keys/`);
  const key = stored.value;
  if (key?.kty !== 'OKP' || key.crv !== 'Ed25519' || typeof key.x !== 'string' || thumbprint(key) !== kid.slice(backend.length + 1)) {
    return invalid(`the key published as ${kid} is not the key that id names`);
  }
  let valid: boolean;
  try {
    valid = verifyDetached(jws, document, key);
  } catch {
    valid = false;
  }
  return valid ? { ...report, valid, reason: null, key } : invalid('the signature does not match the document (altered, or signed by another key)', key);
}

/** The signature report of a DONE job's result. */
export async function verifyJobResult(lifecycle: Pick<JobLifecycle, 'getResult' | 'storage'>, record: JobRecord, trusted: TrustedKeys): Promise<SignatureReport> {
  if (record.state !== 'DONE') return unsigned(`the job is ${record.state}; only DONE jobs have a result`);
  const jws = record.meta?.signature;
  if (typeof jws !== 'string') return unsigned('the result was published without a signature');
  const result = await lifecycle.getResult(record);
  const checked = await verifyDocument(lifecycle.storage, record.backend, result ?? null, jws, trusted);
  if (result === undefined) return { ...checked, valid: false, reason: 'the result document is missing' };
  // The signed document names its job: a validly signed result of another job is not this job's result.
  if ((result as { job_id?: unknown }).job_id !== record.id) return { ...checked, valid: false, reason: 'the result names another job' };
  return checked;
}

/** The signature report of the config a backend's spooler published. */
export async function verifyBackendConfig(storage: StorageProvider, backend: string, trusted: TrustedKeys): Promise<SignatureReport> {
  const [config, signature] = await Promise.all([storage.get(ns.configs, backend), storage.get<ConfigSignature>(CONFIG_SIGNATURES, backend)]);
  if (!config) return unsigned(`no config is published for ${backend}`);
  if (typeof signature?.value.jws !== 'string') return unsigned(`the config of ${backend} was published without a signature`);
  return verifyDocument(storage, backend, config.value, signature.value.jws, trusted);
}
