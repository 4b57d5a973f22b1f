// JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037) on node:crypto, in compact serialization with a detached
// payload (RFC 7515 Appendix F): the signed document stays exactly what clients read, and the signature stored
// beside it is `<protected header>..<signature>`. The payload is the document in canonical JSON, so how a store
// happens to order keys cannot break a signature.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** A public key as published under `keys/<kid>` (RFC 8037 OKP key). */
export interface Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface JwsHeader {
  alg: string;
  kid?: string;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The document as stored JSON would read back, with object keys sorted (by UTF-16 code units, as JSON.stringify
 * writes numbers and strings): RFC 8785 canonical JSON for the documents qspool signs.
 */
export function canonicalJson(document: unknown): string {
  return sortedJson(JSON.parse(JSON.stringify(document)));
}

/** RFC 7638 thumbprint of an Ed25519 public key: SHA-256 over {"crv","kty","x"} in that order, base64url. */
export function thumbprint(jwk: Pick<Jwk, 'crv' | 'kty' | 'x'>): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest('base64url');
}

export function publicJwk(key: KeyObject, kid: string): Jwk {
  const { x } = key.export({ format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519' || typeof x !== 'string') throw new Error('signing keys must be Ed25519');
  return { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
}

/** Signs the document; `privateKey` must be an Ed25519 private key. */
export function signDetached(document: unknown, privateKey: KeyObject, kid: string): string {
  const header = base64url(JSON.stringify({ alg: 'EdDSA', kid }));
  const payload = base64url(canonicalJson(document));
  const signature = sign(null, Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}..${base64url(signature)}`;
}

/** The protected header of a detached compact JWS, or undefined when the text is not one. */
export function jwsHeader(jws: string): JwsHeader | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    return header !== null && typeof header === 'object' && typeof (header as JwsHeader).alg === 'string' ? (header as JwsHeader) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `jws` is a valid EdDSA signature of exactly this document by the key `jwk`. */
export function verifyDetached(jws: string, document: unknown, jwk: Jwk): boolean {
  const [header, , signature] = jws.split('.');
  if (jwsHeader(jws)?.alg !== 'EdDSA') return false;
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  const payload = base64url(canonicalJson(document));
  return verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature!, 'base64url'));
}
