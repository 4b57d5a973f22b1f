import { expect } from 'chai';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { keyId, seal, sealedWithCurrent, SecretUnreadableError, unseal, type SealedLogin } from './secrets.ts';

const OLD = 'the old key, of some length';
const NEW = 'the new key, of some length';

/** A value as qspool sealed it before key ids: no `kid`. */
function sealedWithoutKeyId(value: Record<string, unknown>, secret: string): SealedLogin {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(secret).digest(), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

describe('sealed secrets and key ids', () => {
  it('names the sealing key by a 16-hex key id, the same for the same key, that is neither the key nor its derived key', () => {
    const sealed = seal({ token: 'x' }, NEW);
    expect(sealed.kid).to.equal(keyId(NEW)).and.match(/^[0-9a-f]{16}$/);
    expect(keyId(NEW)).to.not.equal(keyId(OLD));
    const derived = createHash('sha256').update(NEW).digest('hex');
    expect(derived).to.not.include(keyId(NEW));
    expect(Buffer.from(NEW).toString('hex')).to.not.include(keyId(NEW));
  });

  it('seals with the current key only, and opens with the previous key what that sealed', () => {
    const old = seal({ token: 'kept' }, OLD);
    const keys = { current: NEW, previous: [OLD] };
    expect(unseal(old, keys)).to.deep.equal({ token: 'kept' });
    expect(seal({ token: 'new' }, keys).kid).to.equal(keyId(NEW));
    expect(sealedWithCurrent(old, keys)).to.equal(false);
    expect(sealedWithCurrent(seal({ token: 'new' }, keys), keys)).to.equal(true);
  });

  it('opens a value sealed before key ids with whichever configured key sealed it', () => {
    expect(unseal(sealedWithoutKeyId({ token: 'legacy' }, OLD), { current: NEW, previous: [OLD] })).to.deep.equal({ token: 'legacy' });
    expect(unseal(sealedWithoutKeyId({ token: 'legacy' }, NEW), NEW)).to.deep.equal({ token: 'legacy' });
  });

  it('refuses a value no configured key opens with SecretUnreadableError (503 secret_unreadable) naming both key ids', () => {
    const stray = seal({ token: 'x' }, OLD);
    const error = (() => {
      try {
        unseal(stray, NEW);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).to.be.instanceOf(SecretUnreadableError);
    const unreadable = error as SecretUnreadableError;
    expect([unreadable.status, unreadable.code, unreadable.kid]).to.deep.equal([503, 'secret_unreadable', keyId(OLD)]);
    expect(unreadable.message).to.include(keyId(OLD)).and.include(keyId(NEW)).and.not.include(OLD);
    expect(() => unseal(sealedWithoutKeyId({ token: 'x' }, OLD), NEW)).to.throw(SecretUnreadableError, 'sealed before key ids');
  });

  it('does not try a key whose id differs from the one the value names (a forged key id opens nothing)', () => {
    const sealed = { ...seal({ token: 'x' }, OLD), kid: keyId(NEW) };
    expect(() => unseal(sealed, { current: NEW, previous: [OLD] })).to.throw(SecretUnreadableError);
  });
});
