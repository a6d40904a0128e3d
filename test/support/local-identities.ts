/** The local provider's identities as its store holds them (snapshot and journal), for tests that check them. */
import type { Identity } from '../../src/providers/types.js';
import { openLocalIdentities } from '../../src/providers/local/local-identity-store.js';
import { localPaths } from '../../src/providers/local/local-provider.js';

export async function readLocalIdentities(stateDir: string): Promise<Identity[]> {
  return [...(await openLocalIdentities(localPaths(stateDir).identities)).state.identities.values()];
}
