/**
 * worktrunk (`wt`): project hooks in `.config/wt.toml`. Read from its source, max-sixty/worktrunk at 7ee9c62
 * (2026-08): docs/src/content/docs/hook.md and src/config/{hooks,commands}.rs.
 * - `pre-start` (alias of the older `pre-create`) runs once in a new worktree and blocks `post-start` and
 *   `--execute` (the agent) until done: the identity exists before the agent starts. `pre-remove` runs in the
 *   worktree being removed; a failing pre-* hook aborts the operation.
 * - A hook is a string (one command), a table (its commands run concurrently) or a list of strings and tables
 *   (steps run in order; a failing step stops the rest). Each command runs with `sh -c` in the worktree;
 *   `{{ worktree_path }}` is expanded and shell-escaped by worktrunk (so it is not quoted here).
 * - Project hooks need the user's approval on first run (`~/.config/worktrunk/approvals.toml`), again when they
 *   change.
 * Ours goes last in each pipeline: after the team's steps (which may copy a .env) and only if they succeeded,
 * so a failed pre-remove step that aborts the removal has not released the identity yet.
 */
import { join } from 'node:path';
import { neverBlocking, runsSetup, runsTeardown, setupCommand, teardownCommand } from './commands.js';
import { AdapterConfigError } from './errors.js';
import { plannedFile, readCurrent } from './file-state.js';
import { editToml, tomlString, type TomlTable } from './toml-file.js';
import type { Adapter, AdapterContext, AdapterPlan } from './types.js';
import { describeValue, isTable } from './values.js';

export const WORKTRUNK_SETUP = setupCommand('{{ worktree_path }}');
export const WORKTRUNK_TEARDOWN = neverBlocking(teardownCommand('{{ worktree_path }}'));
/** The step's name: shown in wt's output and logs, and `wt hook pre-start ravi-orchestrator` runs just ours. */
const STEP_NAME = 'ravi-orchestrator';

export const worktrunkAdapter: Adapter = {
  tool: 'worktrunk',
  label: 'worktrunk',
  localTarget: null,
  plan: planWorktrunk,
};

async function planWorktrunk(context: AdapterContext): Promise<AdapterPlan> {
  const path = join(context.root, '.config', 'wt.toml');
  const current = await readCurrent(path);
  const notes = ['worktrunk asks you to approve changed project hooks the next time they run (`wt config approvals add` approves them ahead).'];
  if (current === null) return { files: [plannedFile(path, null, freshFile())], exclude: [], notes };
  const edit = editToml(current.text, path, (table) => {
    const start = addStep(table, table['pre-start'] === undefined && table['pre-create'] !== undefined ? 'pre-create' : 'pre-start', WORKTRUNK_SETUP, runsSetup, path);
    const remove = addStep(table, 'pre-remove', WORKTRUNK_TEARDOWN, runsTeardown, path);
    return start || remove;
  });
  if (edit.droppedComments > 0) {
    notes.push(`${edit.droppedComments} comment line(s) of ${path} could not be kept (a hook table became a list of steps so that ours runs after it).`);
  }
  return { files: [plannedFile(path, current, edit.content)], exclude: [], notes };
}

/** Makes `hook` a pipeline whose last step is ours; a hook already running ours anywhere is left alone. */
function addStep(table: TomlTable, hook: string, command: string, isOurs: (script: string) => boolean, file: string): boolean {
  const value = table[hook];
  const step = { [STEP_NAME]: command };
  if (value === undefined) {
    table[hook] = step;
    return true;
  }
  const commands = commandsOf(value, hook, file);
  if (commands.some(isOurs)) return false;
  table[hook] = Array.isArray(value) ? [...value, step] : [value, step];
  return true;
}

/** Every command of a hook in any of its three forms; another shape is refused (worktrunk would reject it). */
function commandsOf(value: unknown, hook: string, file: string): string[] {
  const expected = `"${hook}" must be a command string, a table of named commands or a list of those`;
  if (typeof value === 'string') return [value];
  const tableCommands = (table: Record<string, unknown>): string[] =>
    Object.entries(table).map(([name, command]) => {
      if (typeof command !== 'string') throw new AdapterConfigError(file, `${hook}.${name} must be a command string, got ${describeValue(command)}`);
      return command;
    });
  if (isTable(value)) return tableCommands(value);
  if (!Array.isArray(value)) throw new AdapterConfigError(file, `${expected}, got ${describeValue(value)}`);
  return value.flatMap((step) => {
    if (typeof step === 'string') return [step];
    if (isTable(step)) return tableCommands(step);
    throw new AdapterConfigError(file, `${expected}; a step is ${describeValue(step)}`);
  });
}

function freshFile(): string {
  return [
    '# worktrunk project hooks. ravi-orchestrator: pre-start gives each new worktree its own agent identity before',
    '# the agent starts; pre-remove releases it (a failed release never blocks the removal).',
    '[pre-start]',
    `${STEP_NAME} = ${tomlString(WORKTRUNK_SETUP)}`,
    '',
    '[pre-remove]',
    `${STEP_NAME} = ${tomlString(WORKTRUNK_TEARDOWN)}`,
    '',
  ].join('\n');
}
