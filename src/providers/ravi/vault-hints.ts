/**
 * Which identity uuid a vault name resolved to last time, so listVaultSecrets can ask for the secrets while
 * the identity listing is still on its way (one round trip instead of two). Only ever a hint: the caller
 * verifies it against the listing before using what it fetched. Kept in memory (the daemon's many passes)
 * and, given a state dir, in `ravi-vault-hints.json` there (one-shot CLI processes). Losing or corrupting
 * the file costs one sequential call, never an error. Read synchronously, as the credentials are (credentials.ts):
 * the vault's early request must not wait for the main thread to be free.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFileSync } from '../../files/regular-file.js';

export const VAULT_HINTS_FILE = 'ravi-vault-hints.json';

export interface VaultHints {
  /** The uuid this vault name resolved to last time, or null. */
  get(vault: string): string | null;
  /** Records what the vault resolved to now; best effort, never rejects. */
  remember(vault: string, uuid: string): Promise<void>;
}

// Hints go into a query string; anything else in the file is ignored rather than sent.
const UUID_SHAPE = /^[A-Za-z0-9-]{1,64}$/;
// Distinct vault names ever used are few; the cap only bounds a file someone filled by hand.
const MAX_HINTS = 64;

interface HintsFile {
  readonly version: 1;
  readonly hints: Record<string, string>;
}

export function createVaultHints(origin: string, stateDir: string | undefined): VaultHints {
  const file = stateDir === undefined ? null : join(stateDir, VAULT_HINTS_FILE);
  const memory = new Map<string, string>();
  let loaded: Record<string, string> | null = null;
  const keyOf = (vault: string): string => `${origin} ${vault}`;

  return {
    get(vault) {
      const key = keyOf(vault);
      const known = memory.get(key);
      if (known !== undefined) return known;
      loaded ??= file === null ? {} : readHints(file);
      return loaded[key] ?? null;
    },

    async remember(vault, uuid) {
      const key = keyOf(vault);
      memory.set(key, uuid);
      if (file === null || stateDir === undefined) return;
      try {
        // Only where the state dir already exists: a hint is no reason to create it.
        if (!(await stat(stateDir)).isDirectory()) return;
        const hints = readHints(file); // fresh: another process may have added its own vault
        if (hints[key] === uuid) return;
        const kept = Object.entries(hints).filter(([name]) => name !== key).slice(-(MAX_HINTS - 1));
        const content: HintsFile = { version: 1, hints: Object.fromEntries([...kept, [key, uuid]]) };
        const { writeFileAtomically } = await import('../../files/atomic-write.js'); // only when a hint changes
        await writeFileAtomically(file, `${JSON.stringify(content, null, 2)}\n`);
      } catch {
        // A hint that is not saved costs the next process one sequential call.
      }
    },
  };
}

function readHints(file: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readRegularFileSync(file).toString('utf8')) as Partial<HintsFile> | null;
    const hints = parsed?.version === 1 && typeof parsed.hints === 'object' && parsed.hints !== null ? parsed.hints : {};
    return Object.fromEntries(Object.entries(hints).filter(([, uuid]) => typeof uuid === 'string' && UUID_SHAPE.test(uuid)));
  } catch {
    return {}; // Missing or unreadable: no hint.
  }
}
