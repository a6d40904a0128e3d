/**
 * `init [--force] [--dry-run]`: a commented ravi-orchestrator.config.ts, and the worktree tools the repo uses;
 * `init --superset [--local] [--install CMD]`: the Superset preset (.superset/config.json merged, setup.sh,
 * teardown.sh); `init --claude | --conductor | --cursor | --codex | --worktrunk | --gtr [--local] [--dry-run]`:
 * that tool's own config (src/init/adapters/). Uses only flags and io, never a loaded config, so it also works
 * where the current config is broken.
 */
import type { AdapterTool } from '../../init/adapters/types.js';
import type { InitReport } from '../../init/write-init-files.js';
import { defineCommand, type CommandInput } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { booleanFlag, stringFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { dryRun, json, worktree } from '../shared-flags.js';
import { UsageError } from '../usage-error.js';

/** One per tool of src/init/adapters/ (ADAPTER_TOOLS), each writing that tool's own hook config. */
const TOOL_FLAGS = {
  claude: booleanFlag({ help: 'Claude Code: WorktreeCreate/WorktreeRemove hooks in .claude/settings.json and the MCP server in .mcp.json' }),
  conductor: booleanFlag({ help: 'Conductor: setup and archive scripts in .conductor/settings.toml' }),
  cursor: booleanFlag({ help: 'Cursor: the setup commands in .cursor/worktrees.json (Cursor has no teardown; the daemon releases)' }),
  codex: booleanFlag({ help: 'the Codex app: setup and cleanup scripts of a local environment in .codex/environments/' }),
  worktrunk: booleanFlag({ help: 'worktrunk: pre-start and pre-remove hooks in .config/wt.toml' }),
  gtr: booleanFlag({ help: 'git-worktree-runner: postCreate and preRemove hooks in .gtrconfig' }),
} satisfies Record<AdapterTool, unknown>;

const FLAGS = {
  superset: booleanFlag({ help: 'write the Superset preset: .superset/config.json (merged), setup.sh, teardown.sh' }),
  ...TOOL_FLAGS,
  local: booleanFlag({
    help: 'with --superset, --claude, --conductor or --gtr: the per-user file (config.local.json, settings.local.*, git config --local) instead of the shared one',
  }),
  install: stringFlag({ valueName: 'CMD', help: 'with --superset: the project\'s install step, run by setup.sh (\'\' removes it)' }),
  force: booleanFlag({ help: 'replace an existing config file, or with --superset a setup/teardown script that is not ours' }),
  'dry-run': dryRun,
  worktree: { ...worktree, help: 'the repo of the worktree containing PATH' },
  json,
};

export type InitFlags = CommandInput<typeof FLAGS>['flags'];

export default defineCommand({
  summary: 'write a commented config, or the setup/teardown hooks of a worktree tool (Superset, Claude Code, ...)',
  description:
    'Plain init writes a commented ravi-orchestrator.config.ts and names the worktree tools this repo uses, with the ' +
    'command that sets up each. A tool flag writes that tool\'s own config so each worktree it creates is reconciled and ' +
    'each it removes is released; existing settings are merged, never replaced. --dry-run shows every file first.',
  flags: FLAGS,
  finishesWhenStdoutCloses: true,
  examples: ['init', 'init --superset', 'init --superset --install "bun install"', 'init --claude --dry-run', 'init --conductor --local'],
  run: ({ flags, io }) => initCommand(flags, io),
});

/** What tests call: flags as the parser would hand them. */
export async function initCommand(flags: InitFlags, io: CommandInput<typeof FLAGS>['io']): Promise<ExitCodeValue> {
  const tool = await checkFlags(flags);
  if (tool !== null) {
    const { runToolInit } = await import('../../init/adapters/run-tool-init.js');
    const report = await runToolInit({ tool, cwd: io.cwd, worktree: flags.worktree, local: flags.local, dryRun: flags.dryRun, home: io.env['HOME'] ?? null });
    if (flags.json) writeJson(io.stdout, { tool, ...toJson(report) });
    else for (const line of humanLines(report)) writeLine(io.stdout, line);
    return ExitCode.OK;
  }
  const [{ runInit }, { describeDetected, detectTools }] = await Promise.all([import('../../init/write-init-files.js'), import('../../init/adapters/detect.js')]);
  // Plain `init`: the config file, plus the worktree tools this repo uses and the command for each.
  const detected = flags.superset ? [] : await detectTools(io.cwd, flags.worktree).catch(() => []);
  let report: InitReport;
  try {
    report = await runInit({
      cwd: io.cwd,
      worktree: flags.worktree,
      superset: flags.superset,
      local: flags.local,
      force: flags.force,
      install: flags.install,
      dryRun: flags.dryRun,
    });
  } catch (error) {
    if (!flags.json) for (const line of describeDetected(detected)) writeLine(io.stderr, line);
    throw error;
  }
  if (flags.json) writeJson(io.stdout, { ...toJson(report), ...(flags.superset ? {} : { detected }) });
  else for (const line of [...humanLines(report), ...describeDetected(detected)]) writeLine(io.stdout, line);
  return ExitCode.OK;
}

/** The one tool flag given (null for none), or a usage error for flags that do not go together. */
async function checkFlags(flags: InitFlags): Promise<AdapterTool | null> {
  const tools = (Object.keys(TOOL_FLAGS) as AdapterTool[]).filter((tool) => flags[tool]);
  if (tools.length + (flags.superset ? 1 : 0) > 1) {
    throw new UsageError(`init sets up one tool at a time (got ${[...(flags.superset ? ['superset'] : []), ...tools].map((t) => `--${t}`).join(' ')})`, ['init']);
  }
  const tool = tools[0] ?? null;
  if (tool !== null) {
    if (flags.install !== null || flags.force) throw new UsageError(`${flags.install !== null ? '--install' : '--force'} only applies to init --superset or plain init`, ['init']);
    if (flags.local) {
      const { ADAPTERS } = await import('../../init/adapters/registry.js');
      if (ADAPTERS[tool].localTarget === null) {
        throw new UsageError(`${ADAPTERS[tool].label} has no per-user config file, so --local does not apply to init --${tool} (its config is shared: commit it)`, ['init']);
      }
    }
    return tool;
  }
  if (!flags.superset && flags.local) throw new UsageError('--local applies to init with a tool flag (--superset, --claude, --conductor, --gtr)', ['init']);
  if (!flags.superset && flags.install !== null) throw new UsageError('--install only applies to init --superset', ['init']);
  // One line, so the script can hold it verbatim in single quotes and read it back on the next run.
  if (flags.install !== null && /[\r\n\0]/.test(flags.install)) {
    throw new UsageError('--install takes one command line (chain steps with &&, or put them in a script)', ['init']);
  }
  return null;
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
