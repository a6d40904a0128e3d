/**
 * The Codex app's local environments: `[setup] script` runs when Codex creates a worktree for a new thread,
 * `[cleanup] script` before it deletes one. Format as the app writes it, per
 * https://developers.openai.com/codex/app/local-environments (read 2026-11): `.codex/environments/*.toml` with
 * `version = 1`, `name`, `[setup] script`, platform overrides `[setup.darwin|linux|win32] script` that replace
 * the base script on that platform, the same for `[cleanup]`, and `[[actions]]`. Scripts get
 * CODEX_WORKTREE_PATH (the new worktree) and CODEX_SOURCE_TREE_PATH (the project checkout).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { appendLine, pathFromEnv, prependLine, runsSetup, runsTeardown, setupCommand, teardownCommand } from './commands.js';
import { AdapterConfigError } from './errors.js';
import { plannedFile, readCurrent } from './file-state.js';
import { editToml, tomlString, type TomlTable } from './toml-file.js';
import type { Adapter, AdapterContext, AdapterPlan, PlannedFile } from './types.js';
import { describeValue, isTable } from './values.js';

const WORKTREE = pathFromEnv('CODEX_WORKTREE_PATH');
export const CODEX_SETUP = setupCommand(WORKTREE);
export const CODEX_CLEANUP = teardownCommand(WORKTREE);
/** Overrides we also add to; win32 is left alone (its shell is not POSIX, and we do not run on Windows). */
const POSIX_PLATFORMS = ['darwin', 'linux'] as const;

export const codexAdapter: Adapter = {
  tool: 'codex',
  label: 'Codex app',
  localTarget: null,
  plan: planCodex,
};

async function planCodex(context: AdapterContext): Promise<AdapterPlan> {
  const dir = join(context.root, '.codex', 'environments');
  const names = await environmentFiles(dir);
  if (names.length === 0) {
    const path = join(dir, 'environment.toml');
    return { files: [plannedFile(path, null, freshEnvironment(basename(context.root)))], exclude: [], notes: [] };
  }
  const files: PlannedFile[] = [];
  const notes: string[] = [];
  // Each file is an environment a thread can pick: every one of them provisions.
  for (const name of names) {
    const path = join(dir, name);
    const current = await readCurrent(path);
    if (current === null) continue;
    const edit = editToml(current.text, path, (table) => addScripts(table, path));
    files.push(plannedFile(path, current, edit.content));
    if (edit.droppedComments > 0) notes.push(`${edit.droppedComments} comment line(s) of ${path} could not be kept.`);
    if (hasWin32(current.text)) notes.push(`${path} has Windows overrides ([setup.win32] / [cleanup.win32]); they were left as they are.`);
  }
  return { files, exclude: [], notes };
}

async function environmentFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.toml')).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AdapterConfigError(dir, `cannot be listed (${(error as Error).message})`, { cause: error });
  }
}

function addScripts(table: TomlTable, file: string): boolean {
  const version = table['version'];
  if (version !== undefined && version !== 1 && version !== 1n) {
    throw new AdapterConfigError(file, `has version = ${String(version)}; only version 1 (the Codex app's current format) is understood`);
  }
  const setup = addToSection(table, 'setup', file, (script) => (runsSetup(script) ? null : appendLine(script, CODEX_SETUP)));
  const cleanup = addToSection(table, 'cleanup', file, (script) => (runsTeardown(script) ? null : prependLine(script, CODEX_CLEANUP)));
  return setup || cleanup;
}

/** The base script and each POSIX platform override of `[section]`; `edit` returns the new script, null to keep. */
function addToSection(table: TomlTable, section: 'setup' | 'cleanup', file: string, edit: (script: string) => string | null): boolean {
  let current = table[section];
  if (current === undefined) {
    current = {};
    table[section] = current;
  }
  if (!isTable(current)) throw new AdapterConfigError(file, `"${section}" must be a table ([${section}]), got ${describeValue(current)}`);
  let changed = setScript(current, `${section}.script`, file, edit, true);
  for (const platform of POSIX_PLATFORMS) {
    const override = current[platform];
    if (override === undefined) continue;
    if (!isTable(override)) throw new AdapterConfigError(file, `"${section}.${platform}" must be a table, got ${describeValue(override)}`);
    changed = setScript(override, `${section}.${platform}.script`, file, edit, false) || changed;
  }
  return changed;
}

function setScript(holder: Record<string, unknown>, name: string, file: string, edit: (script: string) => string | null, create: boolean): boolean {
  const script = holder['script'];
  if (script !== undefined && typeof script !== 'string') throw new AdapterConfigError(file, `${name} must be a string, got ${describeValue(script)}`);
  if (script === undefined && !create) return false; // an override without a script falls back to the base one
  const next = edit(script ?? '');
  if (next === null) return false;
  holder['script'] = next;
  return true;
}

function hasWin32(text: string): boolean {
  return /^\s*\[\s*(setup|cleanup)\.win32\s*\]/m.test(text);
}

function freshEnvironment(name: string): string {
  return [
    '# ravi-orchestrator: setup gives each Codex worktree its own agent identity; cleanup releases it.',
    'version = 1',
    `name = ${tomlString(name)}`,
    '',
    '[setup]',
    `script = ${tomlString(CODEX_SETUP)}`,
    '',
    '[cleanup]',
    `script = ${tomlString(CODEX_CLEANUP)}`,
    '',
  ].join('\n');
}
