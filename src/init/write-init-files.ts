/**
 * `init` I/O: finds the main worktree, plans every file (reading what is there), refuses before writing anything
 * if one file is a problem, then writes the changed ones atomically (scripts before the config that runs them).
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { MODULE_NAME, SEARCH_PLACES } from '../config/load.js';
import { writeFileAtomically } from '../files/atomic-write.js';
import { checkIgnored, ensureExcluded } from '../git/ignore.js';
import { listWorktrees, resolveWorktreeRoot } from '../git/worktrees.js';
import { CONFIG_FILE_NAME, renderConfigTemplate } from './config-template.js';
import { isManagedScript, MANAGED_MARKER, mergeSupersetConfig, readInstallCommand, renderSetupScript, renderTeardownScript } from './superset.js';

export interface InitOptions {
  /** Where the command runs; the repo is the one holding it (or `worktree`). */
  readonly cwd: string;
  /** `--worktree`, absolute or relative to cwd; null for cwd. */
  readonly worktree: string | null;
  readonly superset: boolean;
  /** With `superset`: the per-user overlay `.superset/config.local.json` instead of config.json. */
  readonly local: boolean;
  readonly force: boolean;
  /** setup.sh's install step; null keeps the one an existing setup.sh of ours has, '' removes it. */
  readonly install: string | null;
  readonly dryRun: boolean;
}

export interface InitFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly state: 'create' | 'update' | 'unchanged';
}

export interface InitReport {
  /** The main worktree (or, for a bare repo, the worktree the command ran in). */
  readonly root: string;
  readonly dryRun: boolean;
  readonly files: readonly InitFile[];
  /** Absolute paths written (none on a dry run), info/exclude included when we added to it. */
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  /** Hints for the user: commit these, this file is git-ignored, another config file wins. */
  readonly notes: readonly string[];
}

/** `/` anchors to the worktree root; info/exclude applies to every worktree of the repo. */
const LOCAL_OVERLAY_EXCLUDE = '/.superset/config.local.json';

export async function runInit(options: InitOptions): Promise<InitReport> {
  const { root, commonDir } = await findRoot(options);
  const notes: string[] = [];
  const files = options.superset ? await planSuperset(root, options) : [await planConfigFile(root, options.force, notes)];
  const written: string[] = [];
  const unchanged = files.filter((f) => f.state === 'unchanged').map((f) => f.path);
  if (!options.dryRun) {
    for (const file of files) {
      if (file.state === 'unchanged') continue;
      await writeFileAtomically(file.path, file.content, { mode: file.mode, dirMode: 0o755 });
      written.push(file.path);
    }
  }
  if (options.superset && options.local) {
    // The overlay is one user's: keep it out of `git status` (and so out of `git add -A`).
    const exclude = join(commonDir, 'info', 'exclude');
    if (options.dryRun) notes.push(`Would list ${LOCAL_OVERLAY_EXCLUDE} in ${exclude} (unless it is already there).`);
    else (await ensureExcluded(commonDir, [LOCAL_OVERLAY_EXCLUDE]) ? written : unchanged).push(exclude);
  }
  notes.push(...(await commitNotes(root, files.filter((f) => !f.path.endsWith('config.local.json')))));
  return { root, dryRun: options.dryRun, files, written, unchanged, notes };
}

/** Files go to the main worktree, where Superset and a new worktree's checkout look; a bare main has none. */
async function findRoot(options: InitOptions): Promise<{ root: string; commonDir: string }> {
  const here = await resolveWorktreeRoot(options.worktree === null ? options.cwd : resolve(options.cwd, options.worktree));
  const main = (await listWorktrees(here.worktreePath)).worktrees.find((w) => w.isMain);
  const root = main !== undefined && !main.bare ? main.path : here.worktreePath;
  return { root, commonDir: here.commonDir };
}

async function planConfigFile(root: string, force: boolean, notes: string[]): Promise<InitFile> {
  const path = join(root, CONFIG_FILE_NAME);
  const content = renderConfigTemplate();
  const current = await readIfExists(path);
  const others = (await existingConfigFiles(root)).filter((place) => place !== CONFIG_FILE_NAME);
  if (current?.text !== content && (current !== null || others.length > 0) && !force) {
    const found = [...(current === null ? [] : [CONFIG_FILE_NAME]), ...others].join(', ');
    throw new Error(`${root} already has a ravi-orchestrator config (${found}); nothing was written. Edit it, or pass --force to write a fresh ${CONFIG_FILE_NAME}.`);
  }
  if (others.length > 0) {
    notes.push(`${others.join(', ')} also configure${others.length === 1 ? 's' : ''} ravi-orchestrator here, and the first of them in search order wins: keep one. Search order: ${SEARCH_PLACES.join(', ')}.`);
  }
  return { path, content, mode: 0o644, state: stateOf(current, content, 0o644, false) };
}

async function planSuperset(root: string, options: InitOptions): Promise<InitFile[]> {
  const dir = join(root, '.superset');
  const setupPath = join(dir, 'setup.sh');
  const teardownPath = join(dir, 'teardown.sh');
  const configPath = join(dir, options.local ? 'config.local.json' : 'config.json');
  const [setup, teardown, config] = await Promise.all([readIfExists(setupPath), readIfExists(teardownPath), readIfExists(configPath)]);
  for (const [path, current] of [[setupPath, setup], [teardownPath, teardown]] as const) {
    if (current !== null && !isManagedScript(current.text) && !options.force) {
      throw new Error(
        `${path} exists and was not written by ravi-orchestrator (no "${MANAGED_MARKER}" line); nothing was written. ` +
        `Rename it and run it from ours (e.g. --install 'bash .superset/my-setup.sh'), or pass --force to replace it.`,
      );
    }
  }
  const install = options.install ?? (setup !== null && isManagedScript(setup.text) ? readInstallCommand(setup.text, setupPath) : null);
  const merged = mergeSupersetConfig(config?.text ?? null, options.local ? 'local' : 'shared', configPath);
  const setupText = renderSetupScript(install);
  const teardownText = renderTeardownScript();
  const configMode = config?.mode ?? 0o644; // keep the team's file mode when we update it
  return [
    { path: setupPath, content: setupText, mode: 0o755, state: stateOf(setup, setupText, 0o755, true) },
    { path: teardownPath, content: teardownText, mode: 0o755, state: stateOf(teardown, teardownText, 0o755, true) },
    { path: configPath, content: merged.content, mode: configMode, state: config === null ? 'create' : merged.changed ? 'update' : 'unchanged' },
  ];
}

interface Current {
  readonly text: string;
  readonly mode: number;
}

/** Scripts must also be executable; other files only need the right bytes. */
function stateOf(current: Current | null, content: string, mode: number, checkMode: boolean): InitFile['state'] {
  if (current === null) return 'create';
  return current.text === content && (!checkMode || current.mode === mode) ? 'unchanged' : 'update';
}

/** The config file names cosmiconfig would load in `root` (package.json only with our key). */
async function existingConfigFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const place of SEARCH_PLACES) {
    const current = await readIfExists(join(root, place));
    if (current === null) continue;
    if (place === 'package.json' && !hasKey(current.text, MODULE_NAME)) continue;
    found.push(place);
  }
  return found;
}

function hasKey(json: string, key: string): boolean {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && key in value;
  } catch {
    return false; // not ours to judge; cosmiconfig reports a broken package.json when it loads
  }
}

async function readIfExists(path: string): Promise<Current | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mode: info.mode & 0o777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The team commits these: say so if they are not tracked yet, and warn if git ignores them. */
async function commitNotes(root: string, files: readonly InitFile[]): Promise<string[]> {
  const rel = files.map((f) => relative(root, f.path));
  const status = await checkIgnored(root, rel);
  const ignored = rel.filter((p) => status.ignored.get(p) === true);
  const untracked = rel.filter((p) => status.ignored.get(p) !== true && !status.tracked.has(p));
  const notes = ignored.map((p) => `Warning: git ignores ${p}, so the team cannot commit it (see: git check-ignore -v ${p}).`);
  if (untracked.length > 0) {
    notes.push(`Commit ${untracked.join(', ')}: new worktrees get ${untracked.length === 1 ? 'it' : 'them'} from git (git add ${untracked.join(' ')}).`);
  }
  return notes;
}
