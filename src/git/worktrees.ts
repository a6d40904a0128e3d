/**
 * Worktree inventory of one repository: read in-process when the layout is plain (worktree-list-fs.ts), else
 * `git worktree list` (never one git per worktree) plus reads of `<common-dir>/worktrees/<id>/gitdir` to learn
 * each worktree's admin id, which survives `git worktree move`.
 */
import type { ExecFileException } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { GitError } from '../util/errors.js';
import { parseWorktreePorcelainZ } from './porcelain.js';
import type { RepoInventory, Worktree } from './types.js';
import { locateWorktree } from './locate-worktree.js';
import { repoNameOf } from './repo-name.js';
import { listWorktreesInProcess, type ListedWorktree, type ListingOptions } from './worktree-list-fs.js';

/** `options`: a pass's shared looks and the daemon's kept answers, for the in-process listing. */
export async function listWorktrees(repoPath: string, options: ListingOptions = {}): Promise<RepoInventory> {
  // Without starting git when it can be sure of git's answer (worktree-list-fs.ts); git's own answer otherwise.
  const listed = await listWorktreesInProcess(repoPath, options);
  if (listed !== null) {
    const main = listed.worktrees[0] as ListedWorktree;
    const worktrees = listed.worktrees.map((worktree, index) => ({ ...worktree, isMain: index === 0 }));
    return { commonDir: listed.commonDir, mainPath: main.path, repoName: repoNameOf(main.path, main.bare), worktrees };
  }
  return listWorktreesWithGit(repoPath);
}

/** `git worktree list --porcelain -z`, which listWorktreesInProcess must always agree with. */
export async function listWorktreesWithGit(repoPath: string): Promise<RepoInventory> {
  // In-process when the layout is plain (locate-worktree.ts agrees with git or declines): one git process fewer.
  const commonDir = (await locateWorktree(repoPath).catch(() => null))?.commonDir ?? (await resolveCommonDir(repoPath));
  const { stdout } = await runGit(repoPath, ['worktree', 'list', '--porcelain', '-z']);
  const entries = parseWorktreePorcelainZ(stdout);
  const main = entries[0];
  if (main === undefined) {
    throw new GitError(`git worktree list printed no worktrees for ${repoPath}`, {
      repo: repoPath,
      command: 'git worktree list --porcelain -z',
    });
  }

  const adminIds = matchAdminIds(entries.slice(1).map((entry) => entry.path), readAdminIds(commonDir));
  const worktrees: Worktree[] = entries.map((entry, index) => ({ ...entry, isMain: index === 0, adminId: index === 0 ? null : (adminIds[index - 1] ?? null) }));
  return { commonDir, mainPath: main.path, repoName: repoNameOf(main.path, main.bare), worktrees };
}

/**
 * The admin id of each linked worktree path git listed, from the paths their `gitdir` files name. git prints a
 * linked worktree's path as its gitdir file names it (absolute, `/.git` dropped: worktree.c get_linked_worktree),
 * so the same text matches at once; only a path left over is compared by its key (symlinks resolved, NFC), which
 * costs a realpath per path: at N = 500 two per worktree and pass were about 7000 lstats. Several admin folders
 * may point at one path (copied by hand): each is handed out once, in id order.
 */
function matchAdminIds(paths: readonly string[], idsByGitdirPath: ReadonlyMap<string, string[]>): Array<string | null> {
  const left = new Map([...idsByGitdirPath].map(([path, ids]) => [path, [...ids]]));
  const ids = paths.map((path) => left.get(path)?.shift() ?? null);
  if (!ids.includes(null)) return ids;
  const byKey = new Map<string, string[]>();
  for (const [path, rest] of left) {
    if (rest.length === 0) continue;
    const key = pathKeySync(path);
    byKey.set(key, [...(byKey.get(key) ?? []), ...rest].sort());
  }
  return ids.map((id, index) => id ?? byKey.get(pathKeySync(paths[index] as string))?.shift() ?? null);
}


/** For `--worktree PATH`: the worktree that contains PATH (a file or any folder inside it) and its repo. */
export async function resolveWorktreeRoot(path: string): Promise<{ worktreePath: string; commonDir: string }> {
  const located = await locateWorktree(path); // in-process when the layout is plain; git otherwise
  if (located !== null) return { worktreePath: located.worktreePath, commonDir: located.commonDir };
  return resolveWorktreeRootWithGit(path);
}

/** git's own answer (`rev-parse`), which locateWorktree must always agree with. */
export async function resolveWorktreeRootWithGit(path: string): Promise<{ worktreePath: string; commonDir: string }> {
  const folder = (await isFile(path)) ? dirname(path) : path;
  const { stdout } = await runGit(folder, ['rev-parse', '--show-toplevel']);
  const worktreePath = stripNewline(stdout);
  return { worktreePath, commonDir: await resolveCommonDir(worktreePath) };
}

/** Absolute, symlink-free common dir (the macOS temp dir is a symlink; git may report either form). */
export async function resolveCommonDir(repoPath: string): Promise<string> {
  const { stdout } = await runGit(repoPath, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  return realpath(stripNewline(stdout));
}

/**
 * A key under which two spellings of one path compare equal: absolute, symlinks resolved as far as the
 * path exists (a prunable worktree's folder is gone), Unicode NFC (macOS may hand back decomposed names).
 */
export async function pathKey(path: string): Promise<string> {
  return pathKeySync(path);
}

/**
 * Synchronous: listWorktrees takes one per worktree and one per admin folder, and at 2000 worktrees the promise
 * API's thread-pool round trip per realpath was a good part of a pass (issue 16).
 */
function pathKeySync(path: string): string {
  return realpathBestEffort(resolve(path)).normalize('NFC');
}

export interface GitResult {
  readonly stdout: string;
  readonly exitCode: number;
}

/**
 * Runs `git -C <dir> <args>` with the output as it is (no newline stripping: `-z` paths may end in one).
 * Uses `-C` rather than a cwd so that ENOENT can only mean "git is not on PATH".
 * Throws GitError unless the exit code is 0 or listed in `okExitCodes`.
 * node:child_process, not execa: this is all git needs, and execa (106 modules) weighed about 15 MB in
 * every long-running daemon, which runs git on each pass.
 */
export async function runGit(
  dir: string,
  args: readonly string[],
  options: { input?: string; okExitCodes?: readonly number[] } = {},
): Promise<GitResult> {
  const command = `git ${args.join(' ')}`;
  const result = await execGit(['-C', dir, ...args], options.input ?? '');
  if (result.error === null || (result.exitCode !== null && (options.okExitCodes ?? []).includes(result.exitCode))) {
    return { stdout: result.stdout, exitCode: result.exitCode ?? 0 };
  }
  throw new GitError(describeFailure(dir, command, result), { repo: dir, command, cause: result.error });
}

interface Finished {
  readonly stdout: string;
  readonly stderr: string;
  /** null when git did not run to an exit (not found, killed). */
  readonly exitCode: number | null;
  readonly error: ExecFileException | null;
}

const TIMEOUT_MS = 60_000;

/**
 * node:child_process (and the dgram and net it loads) is required on the first git run, not with this module: a
 * pass reads its worktrees in-process and runs git only for what it cannot answer from files, so a no-op never
 * needs it.
 */
let childProcess: typeof import('node:child_process') | undefined;

function execGit(args: readonly string[], input: string): Promise<Finished> {
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const { execFile } = childProcess;
  return new Promise((resolvePromise) => {
    const child = execFile('git', args, { env: gitEnvironment(), encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolvePromise({ stdout, stderr, exitCode, error });
    });
    child.stdin?.on('error', () => {}); // git may exit before reading all of it (EPIPE): its exit status says why
    child.stdin?.end(input);
  });
}

function describeFailure(dir: string, command: string, result: Finished): string {
  const stderr = result.stderr.trim();
  if (result.error?.code === 'ENOENT') return `git was not found on PATH (needed to run ${command} in ${dir}); install git or fix PATH`;
  if (result.error?.killed === true && result.exitCode === null) return `${command} in ${dir} did not finish within ${TIMEOUT_MS / 1000} s`;
  if (/not a git repository/i.test(stderr)) return `${dir} is not a git repository (${command}: ${stderr})`;
  if (/cannot change to/i.test(stderr)) return `${dir} does not exist or is not a folder (${command}: ${stderr})`;
  const status = result.exitCode === null ? (result.error?.message ?? 'failed to start') : `exit ${result.exitCode}`;
  return `${command} failed in ${dir} (${status})${stderr === '' ? '' : `: ${stderr}`}`;
}

/**
 * Our own environment minus the variables that would point git at another repository: when we run from a
 * git hook (post-checkout, a pre-commit running tests) git exports GIT_DIR, GIT_INDEX_FILE and friends.
 * GIT_OPTIONAL_LOCKS=0 keeps a background tool from taking index.lock away from the user's own git.
 */
function gitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !REPO_LOCAL_VARS.has(key)) env[key] = value;
  }
  env['GIT_OPTIONAL_LOCKS'] = '0';
  return env;
}

// `git rev-parse --local-env-vars` (git 2.39), kept verbatim.
const REPO_LOCAL_VARS = new Set([
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX', 'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE', 'GIT_COMMON_DIR',
]);

/** Maps the path each `<commonDir>/worktrees/<id>/gitdir` names (as git reads it) to its admin id(s), in id order. */
function readAdminIds(commonDir: string): Map<string, string[]> {
  const adminRoot = join(commonDir, 'worktrees');
  let ids: string[];
  try {
    ids = readdirSync(adminRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if (isNotFound(error)) return new Map(); // no linked worktree was ever added (or all were pruned)
    throw error;
  }
  const byPath = new Map<string, string[]>();
  for (const id of ids.sort()) {
    let gitdir: string;
    try {
      gitdir = readFileSync(join(adminRoot, id, 'gitdir'), 'utf8');
    } catch (error) {
      if (isNotFound(error)) continue; // half-made by a concurrent `git worktree add`; git skips it too
      throw error;
    }
    // Same as git: trailing whitespace trimmed, then the `/.git` suffix removed.
    const worktreePath = gitdir.trimEnd().replace(/\/\.git$/, '');
    byPath.set(worktreePath, [...(byPath.get(worktreePath) ?? []), id]);
  }
  return byPath;
}

function realpathBestEffort(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(realpathBestEffort(parent), basename(path));
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // let git report a missing path with its own words
  }
}

function stripNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
