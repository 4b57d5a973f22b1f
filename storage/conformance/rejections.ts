// Test helpers for what a provider must refuse, shared by the providers' own unit tests (the conformance suite
// checks the same refusals against live stores, one operation at a time).
import { expect } from 'chai';
import type { StorageProvider } from '../contract.ts';
import { InvalidKeyError } from '../../schemas/errors.ts';
import { HOSTILE_KEYS } from './index.ts';

/** The error `promise` rejects with; fails the test if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected a rejection');
}

/**
 * Every operation that takes a key refuses each hostile key with InvalidKeyError. The six attempts for a key are
 * started together, so this suits providers over fakes that refuse before any request (not live stores).
 */
export async function expectHostileKeysRefused(storage: StorageProvider): Promise<void> {
  for (const key of HOSTILE_KEYS) {
    for (const attempt of [
      storage.put('docs', key, 1),
      storage.get('docs', key),
      storage.replace('docs', key, 1, 'v'),
      storage.move('docs', 'other', key),
      storage.delete('docs', key),
      storage.list('docs', { after: key || 'x/y' }),
    ]) {
      expect(await rejection(attempt)).to.be.instanceOf(InvalidKeyError);
    }
  }
}
