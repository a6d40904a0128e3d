/**
 * The daemon's workqueue, with controller-runtime's semantics: items are keys (never events), a key
 * queued many times runs once, a key never runs twice at once (an add during its run marks it dirty
 * and it runs exactly once more afterwards), and each run's outcome is decided in one place (`#settle`).
 *
 * Timers only, no polling. Every timer is unref'd: the queue alone never keeps a process alive (the
 * daemon stays up through its watchers and signal handlers), and `shutdown()` clears them all.
 */
import { backoffDelay, isTerminal } from './backoff.js';

export class WorkQueue<K extends string> {
  readonly #reconcile: Reconciler<K>;
  readonly #workers: number;
  readonly #backoff: { readonly baseMs: number; readonly maxMs: number; readonly random: () => number };
  readonly #onRunEnd: ((event: RunEndEvent<K>) => void) | undefined;
  /** Keys waiting for a worker, in order; never running (a running key goes to #dirty instead). */
  readonly #pending = new Set<K>();
  /** Running keys added again during their run: each runs once more when its run ends. */
  readonly #dirty = new Set<K>();
  readonly #running = new Map<K, { readonly controller: AbortController; readonly done: Promise<void> }>();
  readonly #delayed = new Map<K, Delayed>();
  readonly #keys = new Map<K, MutableKeyState>();
  #idleWaiters: Array<() => void> = [];
  #started = false;
  #pumpScheduled = false;
  #closing: Promise<void> | null = null;

  constructor(reconcile: Reconciler<K>, options: WorkQueueOptions<K> = {}) {
    this.#reconcile = reconcile;
    this.#workers = checkNumber('workers', options.workers ?? 1, 1, true);
    const baseMs = checkNumber('baseBackoffMs', options.baseBackoffMs ?? 1000, 0, false);
    const maxMs = checkNumber('maxBackoffMs', options.maxBackoffMs ?? 300_000, baseMs, false);
    this.#backoff = { baseMs, maxMs, random: options.random ?? Math.random };
    this.#onRunEnd = options.onRunEnd;
  }

  /** Queues `key` to run now. Cancels a backoff wait of the key (an event means something changed),
   * keeping its failure count. No-op after shutdown. */
  add(key: K): void {
    if (this.#closing !== null) return;
    const delayed = this.#delayed.get(key);
    if (delayed?.backoff === true) this.#clearDelayed(key, delayed);
    this.#enqueue(key);
  }

  /** Queues `key` after `delayMs` (≤ 0: now). Delayed adds of one key collapse to the earliest. */
  addAfter(key: K, delayMs: number): void {
    if (!Number.isFinite(delayMs)) throw new TypeError(`Expected \`delayMs\` to be a finite number, got ${delayMs}`);
    if (delayMs <= 0) return this.add(key);
    this.#schedule(key, delayMs, false);
  }

  /** Lets workers take keys (keys added before wait until now). Idempotent; no-op after shutdown. */
  start(): void {
    this.#started = true;
    this.#schedulePump();
  }

  /** Stops taking work, drops queued keys and timers, aborts the runs in flight and waits for them.
   * Idempotent: every call gets the same promise. */
  shutdown(): Promise<void> {
    this.#closing ??= (async () => {
      for (const [key, delayed] of this.#delayed) this.#clearDelayed(key, delayed);
      this.#pending.clear();
      this.#dirty.clear();
      const runs = [...this.#running.values()];
      for (const run of runs) run.controller.abort();
      this.#checkIdle();
      await Promise.allSettled(runs.map((run) => run.done));
    })();
    return this.#closing;
  }

  /** Resolves once nothing is queued, running, or waiting as a delayed add. Backoff waits do not
   * count: a persistently failing key would otherwise keep the queue busy forever. */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Copies of the queue's state: `queued` lists waiting keys, then running keys due to run again. */
  snapshot(): { queued: K[]; running: K[]; keys: ReadonlyMap<K, KeyState> } {
    return {
      queued: [...this.#pending, ...this.#dirty],
      running: [...this.#running.keys()],
      keys: new Map([...this.#keys].map(([key, state]) => [key, { ...state }])),
    };
  }

  #enqueue(key: K): void {
    this.#state(key);
    if (this.#running.has(key)) this.#dirty.add(key);
    else this.#pending.add(key);
    this.#schedulePump();
  }

  #schedule(key: K, delayMs: number, backoff: boolean): void {
    if (this.#closing !== null) return;
    const state = this.#state(key);
    const at = Date.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return; // collapse to the earliest
      this.#clearDelayed(key, existing);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      if (backoff) state.nextRetryAt = null;
      this.#enqueue(key);
    }, Math.min(delayMs, MAX_TIMER_MS));
    timer.unref();
    this.#delayed.set(key, { at, timer, backoff });
    if (backoff) state.nextRetryAt = at;
  }

  #clearDelayed(key: K, delayed: Delayed): void {
    clearTimeout(delayed.timer);
    this.#delayed.delete(key);
    if (delayed.backoff) this.#state(key).nextRetryAt = null;
  }

  // Deferred to a microtask so that adds in the same tick are merged before a worker takes the key.
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#started && this.#closing === null && this.#running.size < this.#workers) {
      const key = this.#pending.values().next();
      if (key.done === true) return;
      this.#pending.delete(key.value);
      const controller = new AbortController();
      this.#running.set(key.value, { controller, done: this.#run(key.value, controller.signal) });
    }
  }

  async #run(key: K, signal: AbortSignal): Promise<void> {
    const startedAt = Date.now();
    let result: ReconcileResult | void = undefined;
    let error: Error | null = null;
    try {
      result = await this.#reconcile(key, signal);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(String(thrown), { cause: thrown });
    }
    this.#running.delete(key);
    const event = this.#settle(key, error, result, Date.now() - startedAt, this.#dirty.delete(key));
    try {
      this.#onRunEnd?.(event);
    } catch {
      // A listener's bug must not stall the queue; the listener owns its own logging.
    }
    this.#schedulePump();
    this.#checkIdle();
  }

  /** The one outcome switch. Error → rate-limited requeue, unless terminal (forget); `requeueAfterMs`
   * → forget failures and add after; else forget. A key added during its run (`dirty`) runs again at
   * once whatever the outcome, keeping its failure count so that it backs off if it fails again. */
  #settle(key: K, error: Error | null, result: ReconcileResult | void, durationMs: number, dirty: boolean): RunEndEvent<K> {
    const state = this.#state(key);
    const live = this.#closing === null;
    let retryInMs: number | null = null;
    let terminal = false;
    if (error === null) {
      state.failures = 0;
      state.lastError = null;
      const after = result?.requeueAfterMs;
      if (after !== undefined && Number.isFinite(after) && after > 0) {
        retryInMs = after;
        this.#schedule(key, after, false);
      }
    } else if (isTerminal(error)) {
      terminal = true;
      state.failures = 0;
      state.lastError = error.message;
    } else {
      state.failures += 1;
      state.lastError = error.message;
      retryInMs = backoffDelay(state.failures, this.#backoff);
      if (!dirty) this.#schedule(key, retryInMs, true);
    }
    if (dirty && live) {
      retryInMs = 0;
      this.#enqueue(key);
    }
    return { key, ok: error === null, error, durationMs, retryInMs: live ? retryInMs : null, terminal };
  }

  #state(key: K): MutableKeyState {
    const state = this.#keys.get(key) ?? { failures: 0, nextRetryAt: null, lastError: null };
    this.#keys.set(key, state); // first add of a key creates its entry; entries live as long as the queue
    return state;
  }

  #isIdle(): boolean {
    if (this.#pending.size > 0 || this.#dirty.size > 0 || this.#running.size > 0) return false;
    for (const delayed of this.#delayed.values()) if (!delayed.backoff) return false;
    return true;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

export interface ReconcileResult {
  /** Run the key again after this many ms, forgetting its failures. As controller-runtime's
   * `RequeueAfter`, only a positive finite number requeues; 0 or undefined means done. */
  readonly requeueAfterMs?: number;
}

/** Reconciles one key. Throw to retry with backoff; throw a `TerminalError` to give up on this change. */
export type Reconciler<K extends string> = (key: K, signal: AbortSignal) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions<K extends string = string> {
  /** Keys processed at once (different keys only). @default 1 */
  readonly workers?: number;
  /** First retry delay after a failure. @default 1000 */
  readonly baseBackoffMs?: number;
  /** Cap of the per-key exponential backoff. @default 300_000 */
  readonly maxBackoffMs?: number;
  /** Jitter source, for tests. @default Math.random */
  readonly random?: () => number;
  /** Called after every run (the queue's snapshot already shows its outcome), for status and logs.
   * Must not throw: a throw is swallowed so that one bad listener cannot stall the queue. */
  readonly onRunEnd?: (event: RunEndEvent<K>) => void;
}

export interface RunEndEvent<K> {
  readonly key: K;
  readonly ok: boolean;
  readonly error: Error | null;
  readonly durationMs: number;
  /** When the key runs again on its own: the backoff delay or `requeueAfterMs`, 0 if it was added
   * during the run (it runs again at once), null if it does not (terminal, done, or shut down). */
  readonly retryInMs: number | null;
  /** The error was terminal (a `TerminalError`, or `terminal: true`): not retried. */
  readonly terminal: boolean;
}

export interface KeyState {
  /** Consecutive failed runs; reset by a success, a `requeueAfterMs` or a terminal error. */
  readonly failures: number;
  /** Epoch ms of the pending backoff retry, or null when none is pending. */
  readonly nextRetryAt: number | null;
  /** Message of the last failed run; null after a success. */
  readonly lastError: string | null;
}

type MutableKeyState = { -readonly [P in keyof KeyState]: KeyState[P] };

interface Delayed {
  readonly at: number;
  readonly timer: NodeJS.Timeout;
  /** A backoff wait: a plain `add` cancels it and `onIdle` does not wait for it. */
  readonly backoff: boolean;
}

/** setTimeout fires at once (with a warning) beyond this; longer waits are clamped to it (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkNumber(name: string, value: number, min: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a finite number';
    throw new TypeError(`Expected the \`${name}\` option to be ${kind} >= ${min}, got ${value}`);
  }
  return value;
}
