// sqooler's signatures (security.py): a signed document is `{"header", "payload", "signature"}`, signed with Ed25519
// over base64url(header as pydantic's compact JSON) + "." + base64url(json.dumps(payload)).
// Checking (JWSDict.verify_signature): Python's json.dumps cannot be reproduced from parsed JSON (`50.0` parses as
// 50), but sqooler writes the whole document with the same json.dumps settings, so the payload's own text in the file
// is exactly the signed bytes: it is cut out of the raw text rather than re-serialised.
// Signing (sign_payload), for qspool's spooler: the payload is signed as ./python-json.ts writes it, which is also how
// the document store writes the whole document, so both qspool's check and sqooler's hold.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { pythonJson } from './python-json.ts';

/** Python's base64.urlsafe_b64encode: base64url with its `=` padding. */
const urlsafeB64 = (data: string | Buffer) => Buffer.from(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

/** A private key and the `kid` its public half is published under. */
export interface SqoolerKey {
  kid: string;
  privateKey: KeyObject;
}

/** JWSHeader.model_dump_json(): its fields in declaration order, compact. */
const headerText = (header: Record<string, unknown>) => {
  const { alg, kid, typ, version } = header;
  return JSON.stringify({ alg, kid, typ, version });
};

/** The end (exclusive) of the JSON value starting at `start` (no whitespace before it). */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      for (i += 1; text[i] !== '"'; i += text[i] === '\\' ? 2 : 1) if (i >= text.length) return -1;
      if (depth === 0) return i + 1;
    } else if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
      if (depth < 0) return i;
    } else if (depth === 0 && (c === ',' || c === '}')) return i;
  }
  return depth === 0 ? text.length : -1;
}

/** The raw text of a top-level member's value in a JSON object's text, or undefined. */
function rawMember(text: string, name: string): string | undefined {
  let i = text.indexOf('{') + 1;
  while (i > 0 && i < text.length) {
    const keyStart = text.indexOf('"', i);
    if (keyStart < 0) return undefined;
    const keyEnd = valueEnd(text, keyStart);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    let valueStart = text.indexOf(':', keyEnd) + 1;
    while (/\s/.test(text[valueStart] ?? '')) valueStart += 1;
    const end = valueEnd(text, valueStart);
    if (end < 0) return undefined;
    if (key === name) return text.slice(valueStart, end);
    i = text.indexOf(',', end) + 1;
  }
  return undefined;
}

/** A published sqooler public key (`{"x", "key_ops": "verify", "crv": "Ed25519", …}`) as a Node key. */
export function publicKeyOf(jwk: unknown): KeyObject | undefined {
  const { x, key_ops: ops, crv } = (jwk ?? {}) as Record<string, unknown>;
  if (typeof x !== 'string' || ops !== 'verify' || crv !== 'Ed25519') return undefined;
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(x, 'base64url').toString('base64url') }, format: 'jwk' });
}

/** Whether the signed document's text carries a valid signature by `key`. */
export function verifySigned(text: string, key: KeyObject): boolean {
  const { header, signature } = JSON.parse(text) as { header?: Record<string, unknown>; signature?: unknown };
  const payload = rawMember(text, 'payload');
  if (!header || typeof signature !== 'string' || payload === undefined) return false;
  const message = `${urlsafeB64(headerText(header))}.${urlsafeB64(payload)}`;
  return verify(null, Buffer.from(message), key, Buffer.from(signature, 'base64url'));
}

/** sign_payload: the payload as a signed document (JWSDict.model_dump()), with sqooler's default header. */
export function signSqooler(payload: unknown, { kid, privateKey }: SqoolerKey): { header: Record<string, string>; payload: unknown; signature: string } {
  const header = { alg: 'EdDSA', kid, typ: 'JWS', version: '0.1' };
  const message = `${urlsafeB64(headerText(header))}.${urlsafeB64(pythonJson(payload))}`;
  return { header, payload, signature: urlsafeB64(sign(null, Buffer.from(message), privateKey)) };
}

/** The public JWK sqooler's upload_public_key publishes (`JWK(key_ops="verify", …)`, field for field). */
export function sqoolerPublicJwk({ kid, privateKey }: SqoolerKey): Record<string, unknown> {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { x: urlsafeB64(Buffer.from(String(x), 'base64url')), key_ops: 'verify', kid, d: null, kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519' };
}
