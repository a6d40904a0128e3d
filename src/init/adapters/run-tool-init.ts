/**
 * `init --<tool>` I/O: finds the main worktree, lets the adapter plan every file (reading what is there, refusing
 * a malformed one before anything is written), then writes the changed files atomically, adds per-user files to
 * info/exclude, and says what to commit. Same report as `init --superset`.
 */
import { dirname, join, relative } from 'node:path';
import { writeFileAtomically } from '../../files/atomic-write.js';
import { checkIgnored, ensureExcluded } from '../../git/ignore.js';
import { runGit } from '../../git/worktrees.js';
import { findInitRoot } from './init-root.js';
import { ADAPTERS } from './registry.js';
import type { AdapterTool, PlannedFile } from './types.js';
import type { InitFile, InitReport } from '../write-init-files.js';

export interface ToolInitOptions {
  readonly tool: AdapterTool;
  readonly cwd: string;
  /** `--worktree`, absolute or relative to cwd; null for cwd. */
  readonly worktree: string | null;
  readonly local: boolean;
  readonly dryRun: boolean;
  /** The user's home (Claude Code's user settings are checked for conflicting hooks); null to skip. */
  readonly home: string | null;
}

export class LocalNotSupportedError extends Error {
  override readonly name = 'LocalNotSupportedError';
  readonly code = 'ADAPTER_NO_LOCAL_FILE';
}

export async function runToolInit(options: ToolInitOptions): Promise<InitReport> {
  const adapter = ADAPTERS[options.tool];
  if (options.local && adapter.localTarget === null) {
    throw new LocalNotSupportedError(`${adapter.label} has no per-user config file, so --local does not apply to init --${adapter.tool}; its config is shared (commit it).`);
  }
  const { root, commonDir } = await findInitRoot(options.cwd, options.worktree);
  const plan = await adapter.plan({ root, commonDir, local: options.local, home: options.home });
  const written: string[] = [];
  const unchanged = plan.files.filter((f) => f.state === 'unchanged').map((f) => f.path);
  const notes: string[] = [];
  if (!options.dryRun) {
    for (const file of plan.files) {
      if (file.state === 'unchanged') continue;
      await write(file);
      written.push(file.path);
    }
  }
  if (plan.exclude.length > 0) {
    const exclude = join(commonDir, 'info', 'exclude');
    if (options.dryRun) notes.push(`Would list ${plan.exclude.join(', ')} in ${exclude} (unless already there).`);
    else (await ensureExcluded(commonDir, plan.exclude) ? written : unchanged).push(exclude);
  }
  notes.push(...plan.notes);
  if (!options.local) notes.push(...(await commitNotes(root, plan.files.filter((f) => f.path.startsWith(`${root}/`)))));
  return { root, dryRun: options.dryRun, files: plan.files.map(toInitFile), written, unchanged, notes };
}

/** git-config files go through git (its lock, its quoting); the others are replaced atomically. */
async function write(file: PlannedFile): Promise<void> {
  if (file.gitConfigAdds !== undefined) {
    for (const [key, value] of file.gitConfigAdds) await runGit(dirname(file.path), ['config', '-f', file.path, '--add', key, value]);
    return;
  }
  await writeFileAtomically(file.path, file.content, { mode: file.mode, dirMode: 0o755 });
}

function toInitFile(file: PlannedFile): InitFile {
  return { path: file.path, content: file.content, mode: file.mode, state: file.state };
}

/** The team commits these: say so if they are not tracked yet, and warn if git ignores them. */
async function commitNotes(root: string, files: readonly PlannedFile[]): Promise<string[]> {
  if (files.length === 0) return [];
  const rel = files.map((f) => relative(root, f.path));
  const status = await checkIgnored(root, rel);
  const ignored = rel.filter((p) => status.ignored.get(p) === true);
  const untracked = rel.filter((p) => status.ignored.get(p) !== true && !status.tracked.has(p));
  const notes = ignored.map((p) => `Warning: git ignores ${p}, so the team cannot commit it (see: git check-ignore -v ${p}).`);
  if (untracked.length > 0) notes.push(`Commit ${untracked.join(', ')}: new worktrees get ${untracked.length === 1 ? 'it' : 'them'} from git (git add ${untracked.join(' ')}).`);
  return notes;
}
