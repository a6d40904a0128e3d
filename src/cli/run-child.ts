/**
 * Runs a program in the foreground with our stdio, the way a shell does: Ctrl-C reaches it through the terminal
 * (same process group) and we wait for its end instead of dying first; SIGTERM and SIGHUP sent to us alone
 * (`timeout`, a service manager, a closed terminal) are passed on. Its end is reported as sh does: its exit
 * code, or 128 + the number of the signal that ended it.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export type ChildOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'cannot-run'; readonly reason: string };

/** The terminal already delivers these to the whole group: the child decides what they mean. */
const IGNORED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
/** These may be meant for us alone: the child gets them too, so it is not left running without us. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

export async function runChild(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ChildOutcome> {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const signal of IGNORED) process.on(signal, ignore);
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    return await new Promise<ChildOutcome>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        // spawn reports what execvp did: ENOENT (not on PATH, or no such file), EACCES/ENOEXEC/EISDIR (cannot run).
        resolve(error.code === 'ENOENT' ? { kind: 'not-found' } : { kind: 'cannot-run', reason: error.code ?? error.message });
      });
      child.once('exit', (code, signal) => {
        const number = signal === null ? 0 : (constants.signals[signal] ?? 0);
        resolve({ kind: 'exited', code: code ?? 128 + number });
      });
    });
  } finally {
    for (const signal of IGNORED) process.off(signal, ignore);
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}
