/**
 * One reconcile pass, the same for `plan`, `reconcile` and (later) the daemon's workers:
 * lock (when applying) -> ledger -> observe -> plan -> apply.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { Ledger, ledgerFileFor, type LedgerState } from '../files/ledger.js';
import { PortLedger, portLedgerFile, type PortState } from '../ports/port-ledger.js';
import { acquireStateLock } from '../files/state-lock.js';
import { canonicalPath, samePath } from '../util/same-path.js';
import { actionTarget, type Action, type Plan } from './actions.js';
import type { ActionResult } from './apply.js';
import { observe } from './observe.js';
import { canPlanBeforeVault } from './late-vault.js';
import type { Observed, ObservedRepo, ObservedWorktree } from './observed.js';
import { BLOCK_END } from '../files/env-block.js';
import type { PassLooks, PassMemory } from './pass-memory.js';
import { monotonicMs } from '../util/elapsed.js';

export interface PassOptions {
  readonly config: Config;
  readonly provider: Provider;
  readonly logger: Logger;
  /** 'plan' reads only; 'apply' takes the state lock and makes it so. */
  readonly mode: 'plan' | 'apply';
  /** Manage repos another state dir claimed (`--take-over`). */
  readonly takeOver?: boolean;
  /** Restrict the pass to the worktree containing this path (a setup script's fast path). */
  readonly worktree?: string | null;
  readonly lockWaitMs?: number;
  readonly signal?: AbortSignal;
  /** Clock for tests. @default Date.now */
  readonly now?: () => number;
  /** What a long-lived caller (the daemon) keeps between passes of the same repos; validated before each use. */
  readonly memory?: PassMemory;
}

export interface PassReport {
  readonly observed: Observed;
  readonly plan: Plan;
  /** Empty in plan mode. */
  readonly results: readonly ActionResult[];
  /** The ledger when the pass ended (after apply; `observed.ledger` is before): the identities files were written for. */
  readonly ledgerAfter: LedgerState;
  /** The port blocks when the pass ended. */
  readonly portsAfter: PortState;
  /** The worktree `--worktree` resolved to, when given. */
  readonly focus: ObservedWorktree | null;
  /** When the soonest worktree left alone because a file of ours just vanished may be written (vanished-files.ts). */
  readonly settlingUntil: number | null;
  readonly durationMs: number;
}

export async function runPass(options: PassOptions): Promise<PassReport> {
  const started = monotonicMs();
  // The planner's modules load while the pass waits for the provider and git (a one-shot process's start-up).
  const planner = import('./plan.js');
  planner.catch(() => {}); // awaited below; a pass that fails before then must not leave it unhandled
  // A setup script's pass (`--worktree`) is nearly always for a new worktree, with steps to apply: their modules
  // (and node:crypto, for temp file names and lease ids) load during the same wait, not between the listing's
  // answer and the first call. A full pass loads them there once its worktrees are read and one lacks our block.
  let applier = options.mode === 'apply' && options.worktree ? loadApplySteps() : null;
  // Only a one-shot pass on a remote provider has that wait to fill: the local provider answers from a file, and the
  // daemon keeps the modules it loaded once.
  const waitsForApi = options.mode === 'apply' && options.memory === undefined && options.provider.kind !== 'local';
  const lock = options.mode === 'apply' ? await acquireStateLock(options.config.stateDir, { waitMs: options.lockWaitMs }) : null;
  try {
    const [ledger, ports] = await Promise.all([openLedger(options), openPorts(options)]);
    const onlyWorktreePath = options.worktree ? await canonicalPath(options.worktree) : null;
    const looks: PassLooks | undefined = options.memory?.begin(options.config.repos);
    const { observed: seen, vaultLater } = await observe(options.config, options.provider, ledger, ports, {
      now: (options.now ?? Date.now)(),
      onlyWorktreePath,
      signal: options.signal,
      looks,
      vaultLater: options.mode === 'apply',
      onReposRead: waitsForApi && applier === null
        ? (repos) => {
            if (repos.some(hasWorktreeToWrite)) applier = loadApplySteps();
          }
        : undefined,
    });
    const held = options.memory?.vanished.hold(seen) ?? { observed: seen, settlingUntil: null };
    let observed = held.observed;
    const focus = onlyWorktreePath === null ? null : await findWorktree(observed, onlyWorktreePath);
    const { plan } = await planner;
    const planFor = (truth: Observed): Plan => {
      const planned = plan(truth, options.config, { focusKey: focus?.key ?? null, takeOver: options.takeOver === true });
      return onlyWorktreePath === null ? planned : focusPlan(planned, focus);
    };
    let planned = planFor(observed);
    // Planned before the vault answered (late-vault.ts): kept when its answer cannot change it, else planned again.
    let answerLater = vaultLater;
    if (vaultLater !== null && !canPlanBeforeVault(planned, observed)) {
      observed = { ...observed, vault: await vaultLater };
      planned = planFor(observed);
      answerLater = null;
    }
    let results: ActionResult[] = [];
    if (options.mode === 'apply') {
      if (planned.actions.length > 0) {
        const { apply } = await (applier ?? import('./apply.js')); // a pass with nothing to do (most of them) does not load the steps
        results = await apply(planned.actions, {
          config: options.config, provider: options.provider, ledger, ports, observed, logger: options.logger, signal: options.signal, now: options.now,
          ...(answerLater === null ? {} : { vaultLater: answerLater }),
        });
      }
      if (answerLater !== null) {
        // The report says what was read, and the problems of the plan its answer gives (a failed read, a missing secret).
        observed = { ...observed, vault: await answerLater };
        planned = { ...planned, problems: planFor(observed).problems };
      }
      await Promise.all([ledger.compactIfLarge(), ports.compactIfLarge()]);
      options.memory?.vanished.record(observed, results, onlyWorktreePath === null);
    }
    return { observed, plan: planned, results, ledgerAfter: ledger.state(), portsAfter: ports.state(), focus, settlingUntil: held.settlingUntil, durationMs: monotonicMs() - started };
  } finally {
    await lock?.release();
  }
}

/**
 * The apply steps' modules, and node:crypto (OpenSSL's start, 3-10 ms) that their first write needs for a temp file
 * name: asked for while the pass waits for the API, so that they are loaded when the plan is made.
 */
function loadApplySteps(): Promise<typeof import('./apply.js')> {
  const loading = Promise.all([import('./apply.js'), import('../util/random.js')]).then(([steps, random]) => {
    random.loadRandomSource();
    return steps;
  });
  loading.catch(() => {}); // awaited when there are steps; a pass that fails before then must not leave it unhandled
  return loading;
}

/**
 * A managed worktree whose env file lacks our block (absent, new, or cut): the pass will most likely write, so its
 * steps are worth loading early. Only a hint: a wrong guess costs the load, which a pass with steps pays anyway.
 */
function hasWorktreeToWrite(repo: ObservedRepo): boolean {
  return repo.worktrees.some((worktree) => worktree.managed && worktree.env !== null && worktree.env.error === null && !worktree.env.content?.includes(BLOCK_END));
}

/** The ledger kept from the last pass when no other process wrote it since (after the lock: checked under it). */
export async function openLedger(options: PassOptions): Promise<Ledger> {
  const { memory, config, provider } = options;
  const kept = memory?.ledger;
  if (kept != null && kept.scope === provider.ledgerScope && kept.file === ledgerFileFor(config.stateDir, provider.ledgerScope) && (await kept.isCurrent())) return kept;
  const ledger = await Ledger.open(config.stateDir, provider.ledgerScope);
  if (memory !== undefined) memory.ledger = ledger;
  return ledger;
}

export async function openPorts(options: PassOptions): Promise<PortLedger> {
  const { memory, config } = options;
  const kept = memory?.ports;
  if (kept != null && kept.file === portLedgerFile(config.stateDir) && (await kept.isCurrent())) return kept;
  const ports = await PortLedger.open(config.stateDir);
  if (memory !== undefined) memory.ports = ports;
  return ports;
}

async function findWorktree(observed: Observed, path: string): Promise<ObservedWorktree | null> {
  for (const repo of observed.repos) {
    for (const worktree of repo.worktrees) {
      if (await samePath(worktree.worktree.path, path)) return worktree;
    }
  }
  return null;
}

/** `--worktree`: that worktree's actions (and its repo's ignore rules) only; no orphan sweep, no pool upkeep. */
function focusPlan(planned: Plan, focus: ObservedWorktree | null): Plan {
  const key = focus?.key ?? null;
  const keep = (action: Action) => {
    if (action.type === 'ensure-excluded' || action.type === 'claim-repo') return key !== null; // --worktree configures its one repo
    const target = actionTarget(action);
    return target !== null && target.key === key && target.worktreePath !== null && action.type !== 'release-lease';
  };
  const path = focus?.worktree.path ?? null;
  return {
    actions: planned.actions.filter(keep),
    problems: planned.problems.filter((p) => p.worktreePath === null ? p.commonDir === null : p.worktreePath === path),
    notes: [],
  };
}
