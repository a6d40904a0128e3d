/**
 * Conductor: `[scripts] setup` runs in each new workspace, `archive` before Conductor archives (deletes) it.
 * Formats as documented by Conductor (read 2026-11):
 * - https://www.conductor.build/docs/reference/scripts: scripts.setup / run / archive / run_mode in
 *   `.conductor/settings.toml`, run from the workspace directory (CONDUCTOR_WORKSPACE_PATH).
 * - https://www.conductor.build/docs/reference/settings/user-project: `.conductor/settings.local.toml` (one user,
 *   not committed) overrides the shared file setting by setting, so a local `setup` replaces the team's.
 * - https://www.conductor.build/docs/reference/conductor-json: the legacy `conductor.json` {"scripts": {...}},
 *   ignored once `.conductor/settings.toml` exists.
 * - https://www.conductor.build/docs/reference/shells: scripts run with zsh.
 */
import { join } from 'node:path';
import { appendLine, pathFromEnv, prependLine, runsSetup, runsTeardown, setupCommand, teardownCommand } from './commands.js';
import { AdapterConfigError } from './errors.js';
import { readCurrent, plannedFile, type CurrentFile } from './file-state.js';
import { isJsonObject, parseJsonObject, serializeJson } from './json-file.js';
import { editToml, parseToml, tomlString, type TomlTable } from './toml-file.js';
import type { Adapter, AdapterContext, AdapterPlan } from './types.js';
import { describeValue, isTable } from './values.js';

const WORKSPACE = pathFromEnv('CONDUCTOR_WORKSPACE_PATH');
export const CONDUCTOR_SETUP = setupCommand(WORKSPACE);
export const CONDUCTOR_ARCHIVE = teardownCommand(WORKSPACE);
const SCHEMA = 'https://conductor.build/schemas/settings.repo.schema.json';
const LOCAL_EXCLUDE = '/.conductor/settings.local.toml';

export const conductorAdapter: Adapter = {
  tool: 'conductor',
  label: 'Conductor',
  localTarget: '.conductor/settings.local.toml',
  plan: planConductor,
};

async function planConductor(context: AdapterContext): Promise<AdapterPlan> {
  const sharedPath = join(context.root, '.conductor', 'settings.toml');
  const localPath = join(context.root, '.conductor', 'settings.local.toml');
  const legacyPath = join(context.root, 'conductor.json');
  const [shared, local, legacy] = await Promise.all([readCurrent(sharedPath), readCurrent(localPath), readCurrent(legacyPath)]);
  if (context.local) return planLocal(localPath, local, teamScripts(sharedPath, shared, legacyPath, legacy));
  if (shared === null && legacy !== null) return planLegacy(legacyPath, legacy);
  const notes: string[] = [];
  if (local !== null) notes.push(...shadowNotes(localPath, scriptsOf(parseToml(local.text, localPath), localPath)));
  if (shared === null) {
    return { files: [plannedFile(sharedPath, null, freshFile([`"$schema" = ${tomlString(SCHEMA)}`, ''], CONDUCTOR_SETUP, CONDUCTOR_ARCHIVE))], exclude: [], notes };
  }
  const edit = editToml(shared.text, sharedPath, (table) => addToScripts(scriptsTable(table, sharedPath), sharedPath));
  if (edit.droppedComments > 0) notes.push(`${edit.droppedComments} comment line(s) of ${sharedPath} could not be kept.`);
  return { files: [plannedFile(sharedPath, shared, edit.content)], exclude: [], notes };
}

/** The per-user overrides: a local `setup` replaces the team's, so it starts from the team's script, then ours. */
function planLocal(localPath: string, local: CurrentFile | null, team: Scripts): AdapterPlan {
  const notes: string[] = [];
  const copied = (key: 'setup' | 'archive'): boolean => typeof team[key] === 'string' && team[key].trim() !== '';
  const copyNote = (key: string): string =>
    `${localPath} overrides the team's scripts.${key} for you, so it now holds a copy of it with ours; when the team changes theirs, update your copy.`;
  if (local === null) {
    const setup = appendLine(team.setup ?? '', CONDUCTOR_SETUP);
    const archive = prependLine(team.archive ?? '', CONDUCTOR_ARCHIVE);
    for (const key of ['setup', 'archive'] as const) if (copied(key)) notes.push(copyNote(key));
    return { files: [plannedFile(localPath, null, freshFile([], setup, archive))], exclude: [LOCAL_EXCLUDE], notes };
  }
  const edit = editToml(local.text, localPath, (table) => {
    const scripts = scriptsTable(table, localPath);
    for (const key of ['setup', 'archive'] as const) {
      if (scripts[key] === undefined && copied(key)) scripts[key] = team[key];
    }
    return addToScripts(scripts, localPath);
  });
  if (edit.changed) for (const key of ['setup', 'archive'] as const) if (copied(key) && !hasKey(local.text, localPath, key)) notes.push(copyNote(key));
  if (edit.droppedComments > 0) notes.push(`${edit.droppedComments} comment line(s) of ${localPath} could not be kept.`);
  return { files: [plannedFile(localPath, local, edit.content)], exclude: [LOCAL_EXCLUDE], notes };
}

/** A repo that still has only conductor.json: Conductor reads that, so ours goes there (same keys, JSON). */
function planLegacy(path: string, current: CurrentFile): AdapterPlan {
  const config = parseJsonObject(current.text, path);
  const scripts = config['scripts'] ?? {};
  if (!isJsonObject(scripts)) throw new AdapterConfigError(path, '"scripts" must be an object');
  const changed = addToScripts(scripts, path);
  config['scripts'] = scripts;
  const content = changed ? serializeJson(config, current.text) : current.text;
  return {
    files: [plannedFile(path, current, content)],
    exclude: [],
    notes: [`This repo configures Conductor with the legacy conductor.json (no .conductor/settings.toml), so the scripts went there.`],
  };
}

type Scripts = { setup?: string; archive?: string };

/** Adds our setup line after the team's setup and our release line before the team's archive. */
function addToScripts(scripts: Record<string, unknown>, file: string): boolean {
  const setup = stringOrNull(scripts, 'setup', file);
  const archive = stringOrNull(scripts, 'archive', file);
  let changed = false;
  if (setup === null || !runsSetup(setup)) {
    scripts['setup'] = appendLine(setup ?? '', CONDUCTOR_SETUP);
    changed = true;
  }
  if (archive === null || !runsTeardown(archive)) {
    scripts['archive'] = prependLine(archive ?? '', CONDUCTOR_ARCHIVE);
    changed = true;
  }
  return changed;
}

function scriptsTable(table: TomlTable, file: string): Record<string, unknown> {
  const scripts = table['scripts'];
  if (scripts === undefined) {
    const created: Record<string, unknown> = {};
    table['scripts'] = created;
    return created;
  }
  if (!isTable(scripts)) throw new AdapterConfigError(file, '"scripts" must be a table ([scripts])');
  return scripts;
}

function scriptsOf(table: TomlTable, file: string): Scripts {
  const scripts = table['scripts'];
  if (scripts === undefined) return {};
  if (!isTable(scripts)) throw new AdapterConfigError(file, '"scripts" must be a table ([scripts])');
  return { setup: stringOrNull(scripts, 'setup', file) ?? undefined, archive: stringOrNull(scripts, 'archive', file) ?? undefined };
}

/** What the team's committed config runs: settings.toml when it exists (then conductor.json is ignored). */
function teamScripts(sharedPath: string, shared: CurrentFile | null, legacyPath: string, legacy: CurrentFile | null): Scripts {
  if (shared !== null) return scriptsOf(parseToml(shared.text, sharedPath), sharedPath);
  if (legacy === null) return {};
  const scripts = parseJsonObject(legacy.text, legacyPath)['scripts'];
  if (scripts === undefined) return {};
  if (!isJsonObject(scripts)) throw new AdapterConfigError(legacyPath, '"scripts" must be an object');
  return { setup: stringOrNull(scripts, 'setup', legacyPath) ?? undefined, archive: stringOrNull(scripts, 'archive', legacyPath) ?? undefined };
}

/** The user's settings.local.toml wins key by key: warn when it hides our shared setup or archive. */
function shadowNotes(localPath: string, local: Scripts): string[] {
  const notes: string[] = [];
  if (local.setup !== undefined && !runsSetup(local.setup)) notes.push(`${localPath} sets its own scripts.setup, which replaces the shared one for you: also run \`ravi-orchestrator init --conductor --local\`.`);
  else if (local.archive !== undefined && !runsTeardown(local.archive)) notes.push(`${localPath} sets its own scripts.archive, which replaces the shared one for you: also run \`ravi-orchestrator init --conductor --local\`.`);
  return notes;
}

function hasKey(text: string, file: string, key: 'setup' | 'archive'): boolean {
  return scriptsOf(parseToml(text, file), file)[key] !== undefined;
}

function stringOrNull(scripts: Record<string, unknown>, key: string, file: string): string | null {
  const value = scripts[key];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new AdapterConfigError(file, `scripts.${key} must be a string (a shell script), got ${describeValue(value)}`);
  return value;
}

function freshFile(head: readonly string[], setup: string, archive: string): string {
  return [
    ...head,
    '[scripts]',
    '# ravi-orchestrator: setup gives each workspace its own agent identity; archive releases it.',
    `setup = ${tomlString(setup)}`,
    `archive = ${tomlString(archive)}`,
    '',
  ].join('\n');
}
