/**
 * `init [--force] [--dry-run]`: a commented ravi-orchestrator.config.ts, and the worktree tools the repo uses;
 * `init --superset [--local] [--install CMD]`: the Superset preset (.superset/config.json merged, setup.sh,
 * teardown.sh); `init --claude | --conductor | --cursor | --codex | --worktrunk | --gtr [--local] [--dry-run]`:
 * that tool's own config (src/init/adapters/). Uses only args and io, never the loaded config, so it also works
 * where the current config is broken (provided the context could be built).
 */
import { runInit, type InitReport } from '../../init/write-init-files.js';
import { describeDetected, detectTools, type DetectedTool } from '../../init/adapters/detect.js';
import { runToolInit } from '../../init/adapters/run-tool-init.js';
import { ADAPTERS } from '../../init/adapters/registry.js';
import { UsageError, type CliArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine, type CliIo } from '../io.js';

export async function initCommand(context: CommandContext): Promise<ExitCodeValue> {
  return runInitCommand(context.args, context.io, context.worktree);
}

/** The same without a CommandContext (no config load), for run.ts to dispatch `init` like `daemon`. */
export async function runInitCommand(args: CliArgs, io: CliIo, worktree: string | null = args.worktree): Promise<ExitCodeValue> {
  checkFlags(args);
  if (args.tool !== null) {
    const report = await runToolInit({ tool: args.tool, cwd: io.cwd, worktree, local: args.local, dryRun: args.dryRun, home: io.env['HOME'] ?? null });
    if (args.json) writeJson(io.stdout, { tool: args.tool, ...toJson(report) });
    else for (const line of humanLines(report)) writeLine(io.stdout, line);
    return ExitCode.OK;
  }
  // Plain `init`: the config file as before, plus the worktree tools this repo uses and the command for each.
  const detected: DetectedTool[] = args.superset ? [] : await detectTools(io.cwd, worktree).catch(() => []);
  let report: InitReport;
  try {
    report = await runInit({
      cwd: io.cwd,
      worktree,
      superset: args.superset,
      local: args.local,
      force: args.force,
      install: args.install,
      dryRun: args.dryRun,
    });
  } catch (error) {
    if (!args.json) for (const line of describeDetected(detected)) writeLine(io.stderr, line);
    throw error;
  }
  if (args.json) writeJson(io.stdout, { ...toJson(report), ...(args.superset ? {} : { detected }) });
  else for (const line of [...humanLines(report), ...describeDetected(detected)]) writeLine(io.stdout, line);
  return ExitCode.OK;
}

function checkFlags(args: CliArgs): void {
  if (args.rest.length > 0) throw new UsageError(`init takes no arguments (got "${args.rest.join(' ')}")`);
  if (args.tool !== null && args.superset) throw new UsageError(`init sets up one tool at a time (got --superset --${args.tool})`);
  if (args.tool !== null && (args.install !== null || args.force)) throw new UsageError(`${args.install !== null ? '--install' : '--force'} only applies to init --superset or plain init`);
  if (args.tool !== null && args.local && ADAPTERS[args.tool].localTarget === null) {
    throw new UsageError(`${ADAPTERS[args.tool].label} has no per-user config file, so --local does not apply to init --${args.tool} (its config is shared: commit it)`);
  }
  if (!args.superset && args.tool === null && args.local) throw new UsageError('--local applies to init with a tool flag (--superset, --claude, --conductor, --gtr)');
  if (!args.superset && args.install !== null) throw new UsageError('--install only applies to init --superset');
  // One line, so the script can hold it verbatim in single quotes and read it back on the next run.
  if (args.install !== null && /[\r\n\0]/.test(args.install)) {
    throw new UsageError('--install takes one command line (chain steps with &&, or put them in a script)');
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
