/**
 * The local vault file's shape (local-provider.ts). A module of its own so that valibot loads with the vault's
 * first read, not with `whoami`, and is imported statically: the CLI program keeps only the parts of valibot its
 * modules use (scripts/build-cli.mjs).
 */
import * as v from 'valibot';
import type { VaultDocument } from './local-provider.js';

export const vaultSchema: v.GenericSchema<unknown, VaultDocument> = v.object({
  version: v.literal(1),
  vaults: v.record(v.string(), v.record(v.string(), v.string())),
});
