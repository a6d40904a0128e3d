/**
 * Cursor: `.cursor/worktrees.json` runs its setup commands in each worktree Cursor creates (Agents Window,
 * Editor, CLI). Format per https://cursor.com/docs/configuration/worktrees (read 2026-11): keys
 * `setup-worktree-unix` (macOS and Linux, wins over the generic key there), `setup-worktree-windows`, and
 * `setup-worktree` (every OS); each is an array of shell commands run in the worktree one after another, or a
 * string naming a script relative to the file. The file is looked up in the worktree, then the project root.
 * ROOT_WORKTREE_PATH names the main checkout. Cursor has no teardown hook: its own cleanup removes worktrees, and
 * the daemon's orphan sweep releases their identities.
 */
import { join } from 'node:path';
import { runsSetup, setupCommand } from './commands.js';
import { AdapterConfigError, AdapterConflictError } from './errors.js';
import { plannedFile, readCurrent } from './file-state.js';
import { isStringArray, parseJsonObject, serializeJson } from './json-file.js';
import type { Adapter, AdapterContext, AdapterPlan } from './types.js';
import { describeValue } from './values.js';

/** Commands run in the worktree and Cursor gives no variable for it. */
export const CURSOR_SETUP = setupCommand('"$PWD"');
/** cmd.exe and PowerShell both read `.` (the worktree); neither reads "$PWD" the POSIX way. */
export const CURSOR_SETUP_WINDOWS = setupCommand('.');

const KEYS = [
  ['setup-worktree', CURSOR_SETUP],
  ['setup-worktree-unix', CURSOR_SETUP],
  ['setup-worktree-windows', CURSOR_SETUP_WINDOWS],
] as const;

export const cursorAdapter: Adapter = {
  tool: 'cursor',
  label: 'Cursor',
  localTarget: null,
  plan: planCursor,
};

async function planCursor(context: AdapterContext): Promise<AdapterPlan> {
  const path = join(context.root, '.cursor', 'worktrees.json');
  const current = await readCurrent(path);
  const notes = ['Cursor has no teardown hook: run the daemon (`ravi-orchestrator service install`) so identities of worktrees Cursor cleans up are released.'];
  if (current === null) {
    return { files: [plannedFile(path, null, serializeJson({ 'setup-worktree': [CURSOR_SETUP] }, null))], exclude: [], notes };
  }
  const config = parseJsonObject(current.text, path);
  let changed = false;
  for (const [key, command] of KEYS) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      throw new AdapterConflictError(path, `"${key}" names a script (${JSON.stringify(value)}), which ravi-orchestrator cannot add to; add \`${command}\` at the end of that script, or make "${key}" an array of commands`);
    }
    if (!isStringArray(value)) throw new AdapterConfigError(path, `"${key}" must be an array of command strings or a script path, got ${describeValue(value)}`);
    if (value.some(runsSetup)) continue;
    config[key] = [...value, command];
    changed = true;
  }
  // macOS and Linux read -unix, else the generic key: one of them must run ours (a Windows-only file gets both).
  if (config['setup-worktree-unix'] === undefined && config['setup-worktree'] === undefined) {
    config['setup-worktree'] = [CURSOR_SETUP];
    changed = true;
  }
  return { files: [plannedFile(path, current, changed ? serializeJson(config, current.text) : current.text)], exclude: [], notes };
}
