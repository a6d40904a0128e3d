/**
 * The commands every adapter writes, in one place: setup provisions the worktree (`reconcile --worktree`),
 * teardown releases it (`release --worktree`). Each tool hands the worktree's path its own way; where it sets a
 * variable we use it and fall back to $PWD, so the line also works when run by hand from the worktree.
 */

export const CLI = 'ravi-orchestrator';

/** `"${VAR:-$PWD}"`: POSIX sh, bash and zsh all read it; the tool's own path wins when it set one. */
export function pathFromEnv(variable: string): string {
  return `"\${${variable}:-$PWD}"`;
}

export function setupCommand(worktree: string): string {
  return `${CLI} reconcile --worktree ${worktree}`;
}

export function teardownCommand(worktree: string): string {
  return `${CLI} release --worktree ${worktree}`;
}

/**
 * For tools where a failing removal hook aborts the removal (worktrunk's pre-remove, gtr's preRemove): a release
 * that fails (lock held too long, provider down) must not keep the user's worktree; the daemon's orphan sweep
 * releases the identity later, and the error still reaches stderr.
 */
export function neverBlocking(command: string): string {
  return `${command} || true`;
}

/** Does this script (any line of it) already run our setup step? Flags may sit between the CLI and the verb. */
export function runsSetup(script: string): boolean {
  return runsVerb(script, 'reconcile');
}

export function runsTeardown(script: string): boolean {
  return runsVerb(script, 'release');
}

/** Does `command` run `ravi-orchestrator hook <event>` (Claude Code's WorktreeCreate / WorktreeRemove)? */
export function runsHook(command: string, event: string): boolean {
  return new RegExp(`(^|[^\\w./-])${CLI}\\b[^\\n]*\\bhook\\s+${event}\\b`, 'm').test(command);
}

function runsVerb(script: string, verb: string): boolean {
  return new RegExp(`(^|[^\\w./-])${CLI}\\b[^\\n]*\\b${verb}\\b`, 'm').test(script);
}

/** Our line added after a script (setup: after the team's installs and copies, which may write .env too). */
export function appendLine(script: string, line: string): string {
  if (script.trim() === '') return line;
  return script.endsWith('\n') ? `${script}${line}\n` : `${script}\n${line}`;
}

/** Our line put before a script (teardown: released even if a team step later fails under `set -e`). */
export function prependLine(script: string, line: string): string {
  if (script.trim() === '') return line;
  return `${line}\n${script}`;
}
