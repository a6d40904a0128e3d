import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../src/daemon/backoff.js';
import { WorkQueue, type Reconciler, type ReconcileResult, type RunEndEvent, type WorkQueueOptions } from '../../src/daemon/workqueue.js';
import { TerminalError } from '../../src/util/errors.js';

type Key = 'a' | 'b' | 'c';

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets queued microtasks and due fake timers run (fake time does not move). */
async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** A queue whose reconciler records calls and concurrency; `behaviour` decides each run's outcome. */
function harness(
  behaviour: (key: Key, run: number, signal: AbortSignal) => Promise<ReconcileResult | void> = async () => undefined,
  options: WorkQueueOptions<Key> = {},
) {
  const calls: Key[] = [];
  const events: RunEndEvent<Key>[] = [];
  const active = new Set<Key>();
  const state = { maxActive: 0, overlappedSameKey: false };
  const reconcile: Reconciler<Key> = async (key, signal) => {
    if (active.has(key)) state.overlappedSameKey = true;
    active.add(key);
    state.maxActive = Math.max(state.maxActive, active.size);
    calls.push(key);
    try {
      return await behaviour(key, calls.filter((k) => k === key).length, signal);
    } finally {
      active.delete(key);
    }
  };
  const queue = new WorkQueue<Key>(reconcile, { random: () => 0.5, ...options, onRunEnd: (e) => events.push(e) });
  return { queue, calls, events, state };
}

function failing(): Promise<never> {
  return Promise.reject(new Error('network down'));
}

let queues: WorkQueue<Key>[] = [];
beforeEach(() => {
  vi.useFakeTimers();
  queues = [];
});
afterEach(async () => {
  await Promise.all(queues.map((q) => q.shutdown()));
  vi.useRealTimers();
});
function track<T extends { queue: WorkQueue<Key> }>(h: T): T {
  queues.push(h.queue);
  return h;
}

describe('WorkQueue: dedup and one run per key at a time', () => {
  it('runs a key added five times before start once', async () => {
    const { queue, calls } = track(harness());
    for (let i = 0; i < 5; i += 1) queue.add('a');
    await flush();
    expect(calls).toEqual([]); // keys added before start wait
    queue.start();
    await queue.onIdle();
    expect(calls).toEqual(['a']);
  });

  it('merges adds of the same tick after start', async () => {
    const { queue, calls } = track(harness());
    queue.start();
    for (let i = 0; i < 5; i += 1) queue.add('a');
    await queue.onIdle();
    expect(calls).toEqual(['a']);
  });

  it('never runs a key twice at once, and re-runs a key added during its run exactly once', async () => {
    const gates = [gate(), gate()];
    const { queue, calls, state } = track(harness(async (_key, run) => gates[run - 1]?.promise, { workers: 4 }));
    queue.start();
    queue.add('a');
    await flush();
    expect(calls).toEqual(['a']);
    for (let i = 0; i < 3; i += 1) queue.add('a');
    await flush();
    expect(calls).toEqual(['a']); // dirty, not started again
    expect(queue.snapshot()).toMatchObject({ queued: ['a'], running: ['a'] });
    gates[0]?.open();
    await flush();
    expect(calls).toEqual(['a', 'a']);
    gates[1]?.open();
    await queue.onIdle();
    expect(calls).toEqual(['a', 'a']);
    expect(state.overlappedSameKey).toBe(false);
  });

  it('runs different keys concurrently up to `workers`', async () => {
    const g = gate();
    const { queue, calls, state } = track(harness(() => g.promise, { workers: 2 }));
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await flush();
    expect(queue.snapshot()).toMatchObject({ running: ['a', 'b'], queued: ['c'] });
    g.open();
    await queue.onIdle();
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(state.maxActive).toBe(2);
  });

  it('runs keys one after another with one worker', async () => {
    const gates = { a: gate(), b: gate() };
    const { queue, calls, state } = track(harness(async (key) => (key === 'c' ? undefined : gates[key].promise)));
    queue.start();
    queue.add('a');
    queue.add('b');
    await flush();
    expect(queue.snapshot()).toMatchObject({ running: ['a'], queued: ['b'] });
    gates.a.open();
    await flush();
    expect(queue.snapshot()).toMatchObject({ running: ['b'], queued: [] });
    gates.b.open();
    await queue.onIdle();
    expect(calls).toEqual(['a', 'b']);
    expect(state.maxActive).toBe(1);
  });
});

describe('WorkQueue: outcomes', () => {
  it('backs off 1s, 2s, 4s, 8s and then stays at the cap', async () => {
    const { queue, calls, events } = track(harness(failing, { baseBackoffMs: 1000, maxBackoffMs: 8000 }));
    queue.start();
    queue.add('a');
    await flush();
    const expected = [1000, 2000, 4000, 8000, 8000, 8000];
    for (const [index, delay] of expected.entries()) {
      expect(events[index]?.retryInMs).toBe(delay);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(calls).toHaveLength(index + 1); // not a millisecond early
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(index + 2);
    }
    expect(queue.snapshot().keys.get('a')).toMatchObject({ failures: 7, lastError: 'network down' });
  });

  it('jitters the delay by ±20% and never beyond the cap', () => {
    const options = { baseMs: 1000, maxMs: 300_000 };
    expect(backoffDelay(1, { ...options, random: () => 0 })).toBe(800);
    expect(backoffDelay(1, { ...options, random: () => 0.5 })).toBe(1000);
    expect(backoffDelay(3, { ...options, random: () => 0.999_999 })).toBe(4800);
    expect(backoffDelay(10, { ...options, random: () => 0.999_999 })).toBe(300_000);
    expect(backoffDelay(10_000, { ...options, random: () => 0 })).toBe(240_000);
    expect(backoffDelay(10_000, { baseMs: 0, maxMs: 0, random: () => 0.5 })).toBe(0);
  });

  it('resets the failure count after a success', async () => {
    const outcomes = ['fail', 'fail', 'ok', 'fail'];
    const { queue, events } = track(harness(async (_key, run) => (outcomes[run - 1] === 'fail' ? failing() : undefined)));
    queue.start();
    queue.add('a');
    await flush();
    await vi.advanceTimersByTimeAsync(1000 + 2000);
    expect(events.map((e) => e.ok)).toEqual([false, false, true]);
    expect(queue.snapshot().keys.get('a')).toEqual({ failures: 0, nextRetryAt: null, lastError: null });
    queue.add('a');
    await flush();
    expect(events[3]).toMatchObject({ ok: false, retryInMs: 1000 });
  });

  it.each([
    ['a TerminalError', new TerminalError('payment required')],
    ['an error with terminal: true', Object.assign(new Error('bad key'), { terminal: true })],
    ['an error caused by a TerminalError', new Error('pass failed', { cause: new TerminalError('bad config') })],
  ])('does not retry %s', async (_name, error) => {
    const { queue, calls, events } = track(harness(() => Promise.reject(error)));
    queue.start();
    queue.add('a');
    await queue.onIdle();
    expect(events).toEqual([{ key: 'a', ok: false, error, durationMs: 0, retryInMs: null, terminal: true }]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toEqual(['a']);
    expect(queue.snapshot().keys.get('a')).toEqual({ failures: 0, nextRetryAt: null, lastError: error.message });
  });

  it('honours requeueAfterMs and forgets failures', async () => {
    const { queue, calls, events } = track(
      harness(async (_key, run) => (run === 1 ? failing() : run === 2 ? { requeueAfterMs: 5000 } : undefined)),
    );
    queue.start();
    queue.add('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(events[1]).toMatchObject({ ok: true, retryInMs: 5000 });
    expect(queue.snapshot().keys.get('a')?.failures).toBe(0);
    let idle = false;
    void queue.onIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(4999);
    expect([calls.length, idle]).toEqual([2, false]); // a requeueAfter wait keeps the queue busy
    await vi.advanceTimersByTimeAsync(1);
    expect([calls.length, idle]).toEqual([3, true]);
  });

  it('treats requeueAfterMs 0 as done, like RequeueAfter: 0', async () => {
    const { queue, calls, events } = track(harness(async () => ({ requeueAfterMs: 0 })));
    queue.start();
    queue.add('a');
    await queue.onIdle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['a']);
    expect(events[0]?.retryInMs).toBeNull();
  });

  it('runs a key added during its backoff now, keeping its failure count', async () => {
    const { queue, calls, events } = track(harness(failing));
    queue.start();
    queue.add('a');
    await flush();
    expect(queue.snapshot().keys.get('a')).toEqual({ failures: 1, nextRetryAt: Date.now() + 1000, lastError: 'network down' });
    await vi.advanceTimersByTimeAsync(500);
    queue.add('a');
    await flush();
    expect(calls).toHaveLength(2);
    expect(events[1]?.retryInMs).toBe(2000); // still backing off
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(2); // the cancelled 1s wait did not fire
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
  });

  it('re-runs a key that failed while dirty at once, then backs off from its failure count', async () => {
    const g = gate();
    const { queue, calls, events } = track(harness(async (_key, run) => (run === 1 ? g.promise.then(failing) : failing())));
    queue.start();
    queue.add('a');
    await flush();
    queue.add('a');
    g.open();
    await flush();
    expect(calls).toHaveLength(2);
    expect(events.map((e) => e.retryInMs)).toEqual([0, 2000]);
    expect(vi.getTimerCount()).toBe(1); // only the 2s backoff: the first failure's wait was never set
  });

  it('collapses delayed adds of one key to the earliest', async () => {
    const { queue, calls } = track(harness());
    queue.start();
    queue.addAfter('a', 5000);
    queue.addAfter('a', 2000);
    queue.addAfter('a', 9000);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['a']);
  });

  it('wraps a thrown non-Error and survives a throwing onRunEnd', async () => {
    const calls: Key[] = [];
    const queue = new WorkQueue<Key>(
      async (key) => {
        calls.push(key);
        if (key === 'a') throw 'boom';
      },
      { onRunEnd: () => { throw new Error('listener bug'); } },
    );
    queues.push(queue);
    queue.start();
    queue.add('a');
    queue.add('b');
    await queue.onIdle();
    expect(calls).toEqual(['a', 'b']);
    expect(queue.snapshot().keys.get('a')?.lastError).toBe('boom');
  });
});

describe('WorkQueue: shutdown, idle, events, snapshot', () => {
  it('aborts the run in flight, drops queued keys and timers, and is idempotent', async () => {
    let seen: AbortSignal | undefined;
    const { queue, calls } = track(
      harness(async (key, _run, signal) => {
        if (key !== 'a') return;
        seen = signal;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }),
    );
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10_000);
    await flush();
    queue.add('a'); // dirty
    expect(vi.getTimerCount()).toBe(1);
    const first = queue.shutdown();
    expect(queue.shutdown()).toBe(first);
    expect(seen?.aborted).toBe(true);
    await first;
    expect(vi.getTimerCount()).toBe(0);
    queue.add('b');
    queue.addAfter('c', 1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['a']);
    expect(queue.snapshot()).toMatchObject({ queued: [], running: [] });
    await queue.onIdle();
  });

  it('stops retrying a key whose aborted run failed', async () => {
    const { queue, events } = track(
      harness((_key, _run, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))),
    );
    queue.start();
    queue.add('a');
    await flush();
    await queue.shutdown();
    expect(events).toMatchObject([{ key: 'a', ok: false, retryInMs: null, terminal: false }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves onIdle at once when empty, and does not wait for a backoff', async () => {
    const { queue } = track(harness(failing));
    await queue.onIdle();
    queue.add('a');
    let idle = false;
    void queue.onIdle().then(() => (idle = true));
    await flush();
    expect(idle).toBe(false); // queued but not started
    queue.start();
    await flush();
    expect(idle).toBe(true);
    expect(queue.snapshot().keys.get('a')?.nextRetryAt).not.toBeNull();
  });

  it('reports every run with its duration and outcome', async () => {
    const { queue, events } = track(
      harness(async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (key === 'b') throw new Error('flaky');
        return key === 'c' ? { requeueAfterMs: 60_000 } : undefined;
      }),
    );
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await vi.advanceTimersByTimeAsync(900);
    expect(events).toEqual([
      { key: 'a', ok: true, error: null, durationMs: 300, retryInMs: null, terminal: false },
      { key: 'b', ok: false, error: new Error('flaky'), durationMs: 300, retryInMs: 1000, terminal: false },
      { key: 'c', ok: true, error: null, durationMs: 300, retryInMs: 60_000, terminal: false },
    ]);
  });

  it('shows queued, running and per-key state in the snapshot, as copies', async () => {
    const g = gate();
    const { queue } = track(harness(async (key) => (key === 'a' ? g.promise : failing())));
    queue.add('b');
    queue.start();
    await flush();
    queue.add('a');
    queue.add('c');
    await flush();
    const now = Date.now();
    const snapshot = queue.snapshot();
    expect(snapshot.running).toEqual(['a']);
    expect(snapshot.queued).toEqual(['c']);
    expect([...snapshot.keys]).toEqual([
      ['b', { failures: 1, nextRetryAt: now + 1000, lastError: 'network down' }],
      ['a', { failures: 0, nextRetryAt: null, lastError: null }],
      ['c', { failures: 0, nextRetryAt: null, lastError: null }],
    ]);
    (snapshot.keys.get('b') as { failures: number }).failures = 99;
    snapshot.queued.push('b');
    expect(queue.snapshot().keys.get('b')?.failures).toBe(1);
    expect(queue.snapshot().queued).toEqual(['c']);
    g.open();
  });

  it('rejects invalid options with a message naming them', () => {
    const reconcile = async (): Promise<void> => undefined;
    expect(() => new WorkQueue(reconcile, { workers: 0 })).toThrow('Expected the `workers` option to be an integer >= 1, got 0');
    expect(() => new WorkQueue(reconcile, { baseBackoffMs: -1 })).toThrow(TypeError);
    expect(() => new WorkQueue(reconcile, { baseBackoffMs: 10, maxBackoffMs: 5 })).toThrow('`maxBackoffMs`');
    expect(() => new WorkQueue(reconcile).addAfter('x', Number.NaN)).toThrow('`delayMs`');
  });
});
