/** Builders of Observed values for the planner's table tests (pure data, no I/O). */
import type { Config } from '../../src/config/types.js';
import { DEFAULT_ENV_VARS } from '../../src/config/types.js';
import type { Worktree } from '../../src/git/types.js';
import type { Identity } from '../../src/providers/types.js';
import { entryKey, type LedgerEntry } from '../../src/files/ledger.js';
import type { Observed, ObservedWorktree } from '../../src/reconcile/observed.js';
import type { PlanConfig } from '../../src/reconcile/plan.js';

export const COMMON_DIR = '/repos/app/.git';
export const NOW = Date.parse('2026-11-24T12:00:00Z');

export function planConfig(overrides: Partial<{ graceMs: number; secrets: string[]; vars: Record<string, string> }> = {}): PlanConfig {
  return {
    identity: { name: 'ws-{repo}-{worktree}' },
    env: { file: '.env', vars: overrides.vars ?? { ...DEFAULT_ENV_VARS }, secrets: overrides.secrets ?? [], writeSecrets: true },
    orphans: { graceMs: overrides.graceMs ?? 10 * 60_000 },
  } satisfies Pick<Config, 'identity' | 'env' | 'orphans'>;
}

export function worktree(adminId: string, overrides: Partial<Worktree> = {}): Worktree {
  return {
    path: `/repos/app-worktrees/${adminId}`,
    head: 'abc123',
    branch: `refs/heads/${adminId}`,
    detached: false,
    bare: false,
    locked: false,
    lockReason: null,
    prunable: false,
    prunableReason: null,
    isMain: false,
    adminId,
    ...overrides,
  };
}

const MAIN: Worktree = { ...worktree('main'), path: '/repos/app', adminId: null, isMain: true };

/** A managed worktree whose files are in the given state (ignored by git unless said otherwise). */
export function managed(adminId: string, options: { env?: string | Buffer | null; ignored?: boolean; tracked?: boolean; wt?: Partial<Worktree> } = {}): ObservedWorktree {
  const wt = worktree(adminId, options.wt);
  const ignored = options.ignored ?? true;
  return {
    worktree: wt,
    key: entryKey(COMMON_DIR, adminId),
    managed: true,
    unmanagedReason: null,
    env: { path: `${wt.path}/.env`, content: typeof options.env === 'string' ? Buffer.from(options.env) : (options.env ?? null), error: null },
    scoped: null,
    ignore: {
      ok: true,
      value: {
        ignored: new Map([['.env', ignored && !options.tracked], ['.ravi/config.json', ignored]]),
        tracked: new Set(options.tracked ? ['.env'] : []),
      },
    },
  };
}

export function unmanaged(adminId: string, reason: string, wt: Partial<Worktree> = {}): ObservedWorktree {
  return { worktree: worktree(adminId, wt), key: entryKey(COMMON_DIR, adminId), managed: false, unmanagedReason: reason, env: null, scoped: null, ignore: null };
}

export function identity(name: string, overrides: Partial<Identity> = {}): Identity {
  return { uuid: `uuid-${name}`, name, email: `${name}@agents.localhost`, phone: '+12015550100', createdAt: '2026-11-01T00:00:00Z', ...overrides };
}

export function ledgerEntry(adminId: string, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  const name = `ws-app-${adminId}`;
  return {
    key: entryKey(COMMON_DIR, adminId),
    commonDir: COMMON_DIR,
    adminId,
    name,
    state: 'active',
    uuid: `uuid-${name}`,
    email: `${name}@agents.localhost`,
    phone: '+12015550100',
    worktreePath: `/repos/app-worktrees/${adminId}`,
    branch: `refs/heads/${adminId}`,
    createdAt: '2026-11-01T00:00:00Z',
    orphanedSince: null,
    ...overrides,
  };
}

export function observed(parts: {
  worktrees?: ObservedWorktree[];
  identities?: Identity[] | Error;
  ledger?: LedgerEntry[];
  vault?: Map<string, string> | Error | null;
  inventoryError?: Error;
  issuesScopedKeys?: boolean;
  now?: number;
}): Observed {
  const identities = parts.identities ?? [];
  return {
    now: parts.now ?? NOW,
    repos: [
      {
        repoPath: '/repos/app',
        inventory: parts.inventoryError
          ? { ok: false, error: parts.inventoryError }
          : { ok: true, value: { commonDir: COMMON_DIR, mainPath: '/repos/app', repoName: 'app', worktrees: [MAIN, ...(parts.worktrees ?? []).map((w) => w.worktree)] } },
        worktrees: [{ worktree: MAIN, key: null, managed: false, unmanagedReason: 'the main worktree', env: null, scoped: null, ignore: null }, ...(parts.worktrees ?? [])],
      },
    ],
    identities: identities instanceof Error ? { ok: false, error: identities } : { ok: true, value: identities },
    vault: parts.vault === undefined || parts.vault === null ? null : parts.vault instanceof Error ? { ok: false, error: parts.vault } : { ok: true, value: parts.vault },
    ledger: parts.ledger ?? [],
    issuesScopedKeys: parts.issuesScopedKeys ?? false,
  };
}
