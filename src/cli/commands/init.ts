/**
 * `init [--force] [--dry-run]`: a commented ravi-orchestrator.config.ts; `init --superset [--local] [--install CMD]`:
 * the Superset preset (.superset/config.json merged, setup.sh, teardown.sh). Uses only flags and io, never a loaded
 * config, so it also works where the current config is broken.
 */
import type { InitReport } from '../../init/write-init-files.js';
import { defineCommand, type CommandInput } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { booleanFlag, stringFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { dryRun, json, worktree } from '../shared-flags.js';
import { UsageError } from '../usage-error.js';

const FLAGS = {
  superset: booleanFlag({ help: 'write the Superset preset: .superset/config.json (merged), setup.sh, teardown.sh' }),
  local: booleanFlag({ help: 'with --superset: the per-user overlay .superset/config.local.json instead of config.json' }),
  install: stringFlag({ valueName: 'CMD', help: 'with --superset: the project\'s install step, run by setup.sh (\'\' removes it)' }),
  force: booleanFlag({ help: 'replace an existing config file, or with --superset a setup/teardown script that is not ours' }),
  'dry-run': dryRun,
  worktree: { ...worktree, help: 'the repo of the worktree containing PATH' },
  json,
};

export type InitFlags = CommandInput<typeof FLAGS>['flags'];

export default defineCommand({
  summary: 'write a commented config, or the Superset preset (.superset/ config + setup/teardown)',
  flags: FLAGS,
  finishesWhenStdoutCloses: true,
  examples: ['init', 'init --superset', 'init --superset --install "bun install"', 'init --superset --dry-run'],
  run: ({ flags, io }) => initCommand(flags, io),
});

/** What tests call: flags as the parser would hand them. */
export async function initCommand(flags: InitFlags, io: CommandInput<typeof FLAGS>['io']): Promise<ExitCodeValue> {
  checkFlags(flags);
  const { runInit } = await import('../../init/write-init-files.js');
  const report = await runInit({
    cwd: io.cwd,
    worktree: flags.worktree,
    superset: flags.superset,
    local: flags.local,
    force: flags.force,
    install: flags.install,
    dryRun: flags.dryRun,
  });
  if (flags.json) writeJson(io.stdout, toJson(report));
  else for (const line of humanLines(report)) writeLine(io.stdout, line);
  return ExitCode.OK;
}

function checkFlags(flags: InitFlags): void {
  if (!flags.superset && flags.local) throw new UsageError('--local only applies to init --superset', ['init']);
  if (!flags.superset && flags.install !== null) throw new UsageError('--install only applies to init --superset', ['init']);
  // One line, so the script can hold it verbatim in single quotes and read it back on the next run.
  if (flags.install !== null && /[\r\n\0]/.test(flags.install)) {
    throw new UsageError('--install takes one command line (chain steps with &&, or put them in a script)', ['init']);
  }
}

function toJson(report: InitReport): object {
  const json = { ok: true, dryRun: report.dryRun, root: report.root, written: report.written, unchanged: report.unchanged, notes: report.notes };
  if (!report.dryRun) return json;
  const wouldWrite = report.files.filter((f) => f.state !== 'unchanged').map((f) => ({ path: f.path, mode: octal(f.mode), content: f.content }));
  return { ...json, wouldWrite };
}

function humanLines(report: InitReport): string[] {
  const lines: string[] = [];
  for (const file of report.files) {
    if (file.state === 'unchanged') lines.push(`${file.path} is up to date${report.dryRun ? '; nothing to write' : ''}.`);
    else if (report.dryRun) lines.push(`Would ${file.state} ${file.path} (mode ${octal(file.mode)}):`, '', ...file.content.trimEnd().split('\n'), '');
    else lines.push(`${file.state === 'create' ? 'Created' : 'Updated'} ${file.path}`);
  }
  // info/exclude and other files outside `files`.
  for (const path of report.written.filter((p) => !report.files.some((f) => f.path === p))) lines.push(`Updated ${path}`);
  return [...lines, ...report.notes];
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
