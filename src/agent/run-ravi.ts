/**
 * `ravi-orchestrator ravi -- ARGS`: runs the real `ravi` CLI as this worktree's identity. The real CLI
 * reads `./.ravi/config.json` in the current directory only (RAVI-CONTRACT.md, "Verified again"): run
 * from a subfolder it falls back to `~/.ravi/config.json`, the account's management key and the
 * user's own identity. So it is started from the worktree's root, after checking that the file there
 * holds this lease's scoped key. Arguments reach `ravi` as they are; nothing is put in argv for it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorktreeIdentity } from './worktree-identity.js';

export const RAVI_INSTALL_HINT = 'install it from https://github.com/ravi-hq/cli/releases (or `brew install ravi-hq/tap/ravi`) and make sure it is on PATH';

/** Why the worktree's `.ravi/config.json` would not make `ravi` act as this identity, or null when it does. */
export async function scopedConfigProblem(me: WorktreeIdentity): Promise<string | null> {
  const file = join(me.worktree, '.ravi', 'config.json');
  let parsed: { identity_uuid?: unknown; identity_key?: unknown; management_key?: unknown };
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as typeof parsed;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return `${file} ${missing ? 'does not exist' : 'is not valid JSON'}, so \`ravi\` would act as your account (~/.ravi/config.json); run: ravi-orchestrator reconcile --worktree "${me.worktree}"`;
  }
  if (parsed.management_key !== undefined) return `${file} holds a management key; run: ravi-orchestrator reconcile --worktree "${me.worktree}"`;
  if (parsed.identity_uuid !== me.uuid || typeof parsed.identity_key !== 'string') {
    return `${file} is not scoped to this worktree's identity ${me.name}; run: ravi-orchestrator reconcile --worktree "${me.worktree}"`;
  }
  return null;
}

/** The note `whoami` prints when the agent stands below the worktree's root, where `ravi` reads the wrong file. */
export function belowRootWarning(me: WorktreeIdentity, cwd: string): string | null {
  if (cwd === me.worktree || !cwd.startsWith(`${me.worktree}/`)) return null;
  return `note: the \`ravi\` CLI reads ./.ravi/config.json in the current folder only; from here it would use ~/.ravi/config.json (your account, not ${me.name}). Run it from ${me.worktree}, or use: ravi-orchestrator ravi -- ARGS`;
}
