/**
 * Runs a program in the foreground with our stdio, the way a shell does: Ctrl-C reaches it (same process group)
 * and we wait for its end instead of dying first, then report its exit as sh does (128 + signal number).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export type ChildOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'cannot-run'; readonly reason: string };

export async function runChild(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ChildOutcome> {
  const ignore = (): void => {};
  // The terminal sends SIGINT to the whole group; the child decides what it means, we report how it ended.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
  for (const signal of signals) process.on(signal, ignore);
  try {
    return await new Promise<ChildOutcome>((resolve) => {
      const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
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
    for (const signal of signals) process.off(signal, ignore);
  }
}
