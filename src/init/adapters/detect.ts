/**
 * Which worktree tools a repo already uses, from what they leave behind: their config files and folders in the
 * main worktree, and where its worktrees live (each tool has its own place). Read only; `init` without a tool
 * flag prints what it found with the command to run, and never writes a tool's file unasked.
 */
import { stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { runGit } from '../../git/worktrees.js';
import { listWorktrees } from '../../git/worktrees.js';
import { findInitRoot } from './init-root.js';
import { ADAPTERS } from './registry.js';
import type { AdapterTool } from './types.js';

export type DetectableTool = AdapterTool | 'superset';

export interface DetectedTool {
  readonly tool: DetectableTool;
  readonly label: string;
  /** What gave it away, e.g. `.cursor/`, `worktrees in ~/.codex/worktrees`. */
  readonly evidence: readonly string[];
  /** The command that sets it up. */
  readonly command: string;
  /** Our commands are already in its config (re-running the command changes nothing); null: not checked. */
  readonly configured: boolean | null;
}

interface Signals {
  readonly label: string;
  /** Paths relative to the main worktree; a trailing `/` means a folder. */
  readonly files: readonly string[];
  /** A path segment that marks a worktree as this tool's. */
  readonly worktreeMark: string | null;
}

/** Default worktree places: Superset ~/.superset/worktrees, Claude Code <repo>/.claude/worktrees, Conductor
 * ~/conductor/workspaces, Cursor ~/.cursor/worktrees, the Codex app $CODEX_HOME/worktrees (see WORKTREE-TOOLS.md). */
const SIGNALS: Readonly<Record<DetectableTool, Signals>> = {
  superset: { label: 'Superset', files: ['.superset/'], worktreeMark: `${sep}.superset${sep}worktrees${sep}` },
  claude: { label: ADAPTERS.claude.label, files: ['.claude/', 'CLAUDE.md', '.mcp.json'], worktreeMark: `${sep}.claude${sep}worktrees${sep}` },
  conductor: { label: ADAPTERS.conductor.label, files: ['.conductor/', 'conductor.json'], worktreeMark: `${sep}conductor${sep}workspaces${sep}` },
  cursor: { label: ADAPTERS.cursor.label, files: ['.cursor/'], worktreeMark: `${sep}.cursor${sep}worktrees${sep}` },
  codex: { label: ADAPTERS.codex.label, files: ['.codex/'], worktreeMark: `${sep}.codex${sep}worktrees${sep}` },
  worktrunk: { label: ADAPTERS.worktrunk.label, files: ['.config/wt.toml'], worktreeMark: null },
  gtr: { label: ADAPTERS.gtr.label, files: ['.gtrconfig'], worktreeMark: null },
};

export async function detectTools(cwd: string, worktree: string | null): Promise<DetectedTool[]> {
  const { root, commonDir } = await findInitRoot(cwd, worktree);
  const worktreePaths = (await listWorktrees(root)).worktrees.filter((w) => !w.isMain).map((w) => w.path);
  const gtrKeys = await runGit(root, ['config', '--file', join(commonDir, 'config'), '--name-only', '--get-regexp', '^gtr\\.'], { okExitCodes: [1] })
    .then((r) => r.stdout.trim() !== '', () => false);
  const found: DetectedTool[] = [];
  for (const [tool, signals] of Object.entries(SIGNALS) as [DetectableTool, Signals][]) {
    const evidence: string[] = [];
    for (const file of signals.files) if (await exists(join(root, file), file.endsWith('/'))) evidence.push(file);
    const mark = signals.worktreeMark;
    const count = mark === null ? 0 : worktreePaths.filter((path) => path.includes(mark)).length;
    if (count > 0) evidence.push(`${count} worktree${count === 1 ? '' : 's'} in its ${mark!.split(sep).filter(Boolean).join('/')} folder`);
    if (tool === 'gtr' && gtrKeys) evidence.push('gtr.* settings in git config');
    if (evidence.length === 0) continue;
    found.push({ tool, label: signals.label, evidence, command: `ravi-orchestrator init --${tool}`, configured: tool === 'superset' ? null : await configured(tool, root, commonDir) });
  }
  return found;
}

/** Lines for `init`'s output: what was found and the command for each. */
export function describeDetected(found: readonly DetectedTool[]): string[] {
  if (found.length === 0) return [];
  return [
    'Worktree tools this repo uses (set each one up with its command; init writes no tool file unasked):',
    ...found.map((t) => `  ${t.label} (${t.evidence.join(', ')}): ${t.configured === true ? `already set up (${t.command} changes nothing)` : t.command}`),
  ];
}

/** A dry plan that would write nothing means our commands are there; a config the adapter refuses is "not yet". */
async function configured(tool: AdapterTool, root: string, commonDir: string): Promise<boolean> {
  const plan = await ADAPTERS[tool].plan({ root, commonDir, local: false, home: null }).catch(() => null);
  return plan !== null && plan.files.every((file) => file.state === 'unchanged');
}

async function exists(path: string, folder: boolean): Promise<boolean> {
  try {
    const info = await stat(path);
    return folder ? info.isDirectory() : info.isFile();
  } catch {
    return false;
  }
}
