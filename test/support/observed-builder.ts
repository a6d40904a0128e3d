/** Builders of Observed values for the planner's table tests (pure data, no I/O). */
import { DEFAULT_ENV_VARS } from '../../src/config/types.js';
import type { Worktree } from '../../src/git/types.js';
import type { Identity } from '../../src/providers/types.js';
import { worktreeKey, type LedgerIdentity, type ProviderFacts, type ReleasedWorktree } from '../../src/files/ledger.js';
import type { Observed, ObservedWorktree } from '../../src/reconcile/observed.js';
import type { PlanConfig } from '../../src/reconcile/plan.js';
import type { PortBlock } from '../../src/ports/port-ledger.js';
import { tempFileExample } from '../../src/files/temp-files.js';

export const COMMON_DIR = '/repos/app/.git';
export const NOW = Date.parse('2026-11-24T12:00:00Z');

export function planConfig(
  overrides: Partial<{ graceMs: number; secrets: string[]; vars: Record<string, string>; quarantineMs: number; keepIdle: number; ports: PlanConfig['ports']; provider: 'local' | 'ravi' }> = {},
): PlanConfig {
  return {
    provider: { kind: overrides.provider ?? 'local' },
    ports: overrides.ports ?? null,
    identity: { name: 'ws-{repo}-{worktree}' },
    env: { file: '.env', vars: overrides.vars ?? { ...DEFAULT_ENV_VARS }, secrets: overrides.secrets ?? [], writeSecrets: true },
    orphans: { graceMs: overrides.graceMs ?? 10 * 60_000 },
    pool: { quarantineMs: overrides.quarantineMs ?? 30 * 60_000, keepIdle: overrides.keepIdle ?? Number.POSITIVE_INFINITY },
  };
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
    key: worktreeKey(COMMON_DIR, adminId),
    managed: true,
    unmanagedReason: null,
    env: { path: `${wt.path}/.env`, content: typeof options.env === 'string' ? Buffer.from(options.env) : (options.env ?? null), error: null },
    scoped: null,
    ignore: {
      ok: true,
      value: {
        ignored: new Map([
          ['.env', ignored && !options.tracked],
          ['.ravi/config.json', ignored],
          // The temp files of their atomic writes, which our exclude line covers along with them.
          [tempFileExample('.env'), ignored],
          [tempFileExample('.ravi/config.json'), ignored],
        ]),
        tracked: new Set(options.tracked ? ['.env'] : []),
      },
    },
  };
}

export function unmanaged(adminId: string, reason: string, wt: Partial<Worktree> = {}): ObservedWorktree {
  return { worktree: worktree(adminId, wt), key: worktreeKey(COMMON_DIR, adminId), managed: false, unmanagedReason: reason, env: null, scoped: null, ignore: null };
}

export function identity(name: string, overrides: Partial<Identity> = {}): Identity {
  return { uuid: `uuid-${name}`, name, email: `${name}@agents.localhost`, phone: '+12015550100', createdAt: '2026-11-01T00:00:00Z', ...overrides };
}

/** An identity leased to the worktree `adminId` (named `ws-app-<adminId>` unless said otherwise). */
export function leased(adminId: string, overrides: Partial<LedgerIdentity> = {}, lease: Partial<NonNullable<LedgerIdentity['lease']>> = {}): LedgerIdentity {
  const name = overrides.name ?? `ws-app-${adminId}`;
  return {
    name,
    state: 'ready',
    uuid: `uuid-${name}`,
    email: `${name}@agents.localhost`,
    phone: '+12015550100',
    createdAt: '2026-11-01T00:00:00Z',
    lease: {
      id: `lease-${adminId}`,
      worktreeKey: worktreeKey(COMMON_DIR, adminId),
      commonDir: COMMON_DIR,
      adminId,
      worktreePath: `/repos/app-worktrees/${adminId}`,
      branch: `refs/heads/${adminId}`,
      since: '2026-11-01T00:00:00Z',
      orphanedSince: null,
      ...lease,
    },
    idleSince: null,
    lastHolder: null,
    leases: 1,
    ...overrides,
  };
}

/** An idle identity in the pool, idle since `idleSince` (by default long enough to be out of quarantine). */
export function idle(name: string, overrides: Partial<LedgerIdentity> = {}): LedgerIdentity {
  return {
    name,
    state: 'ready',
    uuid: `uuid-${name}`,
    email: `${name}@agents.localhost`,
    phone: '+12015550199',
    createdAt: '2026-11-01T00:00:00Z',
    lease: null,
    idleSince: new Date(NOW - 24 * 3600_000).toISOString(),
    lastHolder: { worktreeKey: worktreeKey(COMMON_DIR, 'earlier'), worktreePath: '/repos/app-worktrees/earlier' },
    leases: 1,
    ...overrides,
  };
}

export function releasedWorktree(adminId: string): ReleasedWorktree {
  return { worktreeKey: worktreeKey(COMMON_DIR, adminId), commonDir: COMMON_DIR, adminId, worktreePath: `/repos/app-worktrees/${adminId}`, at: '2026-11-20T00:00:00Z' };
}

export function observed(parts: {
  worktrees?: ObservedWorktree[];
  identities?: Identity[] | Error;
  ledger?: LedgerIdentity[];
  released?: ReleasedWorktree[];
  provider?: ProviderFacts;
  vault?: Map<string, string> | Error | null;
  inventoryError?: Error;
  issuesScopedKeys?: boolean;
  now?: number;
  /** Another state dir's claim on the repo (its message). */
  ownedBy?: string;
  blocks?: PortBlock[];
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
        claim: parts.inventoryError ? null : parts.ownedBy ? { state: 'other', problem: new Error(parts.ownedBy) } : { state: 'ours' },
        worktrees: [{ worktree: MAIN, key: null, managed: false, unmanagedReason: 'the main worktree', env: null, scoped: null, ignore: null }, ...(parts.worktrees ?? [])],
      },
    ],
    identities: identities instanceof Error ? { ok: false, error: identities } : { ok: true, value: identities },
    vault: parts.vault === undefined || parts.vault === null ? null : parts.vault instanceof Error ? { ok: false, error: parts.vault } : { ok: true, value: parts.vault },
    ledger: {
      identities: new Map((parts.ledger ?? []).map((i) => [i.name, i])),
      released: new Map((parts.released ?? []).map((r) => [r.worktreeKey, r])),
      provider: parts.provider ?? { deleteRefused: null },
    },
    ports: { blocks: new Map((parts.blocks ?? []).map((b) => [b.worktreeKey, b])) },
    issuesScopedKeys: parts.issuesScopedKeys ?? false,
  };
}
