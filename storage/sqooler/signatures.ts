// Checking sqooler's signatures (security.py, JWSDict.verify_signature): a signed document is
// `{"header", "payload", "signature"}`, signed with Ed25519 over base64url(header as pydantic's compact JSON) + "." +
// base64url(json.dumps(payload)). Python's json.dumps cannot be reproduced from parsed JSON (`50.0` parses as 50),
// but sqooler writes the whole document with the same json.dumps settings, so the payload's own text in the file is
// exactly the signed bytes: it is cut out of the raw text rather than re-serialised.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Python's base64.urlsafe_b64encode: base64url with its `=` padding. */
const urlsafeB64 = (text: string) => Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

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
export function rawMember(text: string, name: string): string | undefined {
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
  // JWSHeader.model_dump_json(): its fields in declaration order, compact.
  const { alg, kid, typ, version } = header;
  const message = `${urlsafeB64(JSON.stringify({ alg, kid, typ, version }))}.${urlsafeB64(payload)}`;
  return verify(null, Buffer.from(message), key, Buffer.from(signature, 'base64url'));
}
