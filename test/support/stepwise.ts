import type { StorageProvider } from '../../storage/contract.ts';

/**
 * The same store seen without its transactions: the job lifecycle then writes each transition step by step, as it
 * does on providers that have none, so tests can reproduce the crashes that path must repair.
 */
export function withoutTransactions(storage: StorageProvider): StorageProvider {
  return Object.create(storage, { transaction: { value: undefined } }) as StorageProvider;
}
