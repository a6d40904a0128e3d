/** The ProviderError a provider call rejects with; fails the test when it resolves or rejects with anything else. */
import { expect } from 'vitest';
import { ProviderError } from '../../src/util/errors.js';

export async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}
