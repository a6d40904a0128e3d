/**
 * `concurrency` bounds the provider calls in flight (README: "provider calls in flight at once"), not the
 * worktrees being worked on: a worktree that waits for its env file to be written must not hold a slot the
 * API could use. Measured before this (cold provisioning of 30 worktrees, fake Ravi at 50 ms, concurrency 4):
 * 60-80 ms between one worktree's last call and the next worktree's first call in each slot, spent on the
 * first worktree's file writes, so the API ran at about half the allowed concurrency.
 */
import PQueue from 'p-queue';
import type { Provider } from '../providers/types.js';

/** The steps' provider, its mutating calls queued with at most `concurrency` in flight. */
export function limitCalls(provider: Provider, concurrency: number): Provider {
  const calls = new PQueue({ concurrency });
  // A later step of a started worktree goes first, so each worktree's files come as early as they can.
  const FINISHING = 1;
  return {
    ...provider, // plain objects (createRaviProvider, createLocalProvider): their methods do not use `this`
    createIdentity: (request, options) => afterTurn(calls.add(() => provider.createIdentity(request, options))),
    mintScopedKey: (uuid, label, options) => afterTurn(calls.add(() => provider.mintScopedKey(uuid, label, options), { priority: FINISHING })),
    deleteIdentity: (uuid, options) => calls.add(() => provider.deleteIdentity(uuid, options)),
  };
}

/**
 * The answer, handed on one turn of the event loop later. Its caller goes on with the worktree's file work (sync
 * calls among it), and the call that takes the freed slot is only written to its socket in a later turn: without
 * this, 4 answers landing together sent the next 4 calls one by one behind each answer's file work, 5 ms apart.
 * Measured (bench/call-timeline.mjs, 30 worktrees, fake Ravi at 50 ms, concurrency 4, 8 interleaved runs):
 * lease path calls span 526 -> 509 ms, create path (6 runs) 604 -> 590 ms.
 */
async function afterTurn<T>(answer: Promise<T>): Promise<T> {
  const value = await answer;
  await new Promise((resolve) => setImmediate(resolve));
  return value;
}
