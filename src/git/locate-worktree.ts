/**
 * Which worktree a folder is in, its admin id, branch and repo name, read from the files git itself reads
 * (`.git`, `commondir`, `gitdir`, `HEAD`) without starting git. Agents run `otp`, `env` and `whoami` often
 * and Superset runs `reconcile --worktree` per workspace: each used to start 4-6 git processes (and load
 * execa) just to learn where it was. Returns null for anything it does not fully understand, and the
 * caller asks git, so the answer is git's or none.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readSmallFileSync } from '../files/regular-file.js';
import { readRepoLayout } from './repo-layout.js';
import { repoNameOf } from './repo-name.js';

export interface LocatedWorktree {
  /** The worktree's root folder, symlinks resolved (what `git rev-parse --show-toplevel` prints). */
  readonly worktreePath: string;
  readonly commonDir: string;
  /** Null for the main worktree. */
  readonly adminId: string | null;
  /** Full ref (`refs/heads/feat/x`), null when detached. */
  readonly branch: string | null;
  /** `{repo}`: the main worktree's folder name, or a bare repo's without `.git`. */
  readonly repoName: string;
}

// A few small files and looks, read synchronously: each asynchronous one is several round trips through the thread
// pool, and the agent command that asks waits for nothing else meanwhile (start-up, issue 16).
export async function locateWorktree(path: string): Promise<LocatedWorktree | null> {
  // Git stops its upward search at these; we would not, so leave such setups to git.
  if (process.env['GIT_CEILING_DIRECTORIES'] || process.env['GIT_DISCOVERY_ACROSS_FILESYSTEM']) return null;
  const start = realFolder(path);
  if (start === null) return null;
  const device = statSync(start).dev;
  for (let dir = start; ; dir = dirname(dir)) {
    if (orNull(() => lstatSync(join(dir, '.git'))) !== null) return describe(dir);
    // Inside a git dir or a bare repo, git answers differently (or refuses): ask it.
    if (looksLikeGitDir(dir)) return null;
    const parent = dirname(dir);
    if (parent === dir) return null; // not in a repo: git's own error message says so best
    // Git does not cross a filesystem boundary on its way up (unless told to): neither do we.
    if (statSync(parent).dev !== device) return null;
  }
}

async function describe(worktreePath: string): Promise<LocatedWorktree | null> {
  const layout = await readRepoLayout(worktreePath);
  if (layout === null) return null;
  const { gitDir, commonDir } = layout;
  const branch = readBranch(gitDir);
  if (branch === undefined) return null;

  if (gitDir === commonDir) {
    // The main worktree, with its `.git` folder right here (a `.git` file means --separate-git-dir: ask git).
    if (gitDir !== join(worktreePath, '.git')) return null;
    return { worktreePath, commonDir, adminId: null, branch, repoName: repoNameOf(worktreePath, false) };
  }
  if (dirname(gitDir) !== join(commonDir, 'worktrees')) return null;
  // `git worktree list` finds a worktree through `<admin>/gitdir`; one moved by hand (not repaired) points
  // elsewhere and git would call it prunable: only a matching back-pointer is this worktree's admin folder.
  const backPointer = textOrNull(join(gitDir, 'gitdir'));
  if (backPointer === null) return null;
  const pointed = orNull(() => realpathSync(dirname(backPointer.replace(/[\r\n]+$/, ''))));
  if (pointed !== worktreePath) return null;
  const repoName = repoNameFor(commonDir);
  if (repoName === null) return null;
  return { worktreePath, commonDir, adminId: basename(gitDir), branch, repoName };
}

/** `ref: refs/heads/x` -> the ref; a commit id -> null (detached); anything else -> undefined (ask git). */
function readBranch(gitDir: string): string | null | undefined {
  const head = textOrNull(join(gitDir, 'HEAD'));
  if (head === null) return undefined;
  const ref = /^ref: (refs\/\S+)\s*$/.exec(head);
  if (ref !== null) return ref[1] as string;
  return /^[0-9a-f]{40}\s*$/.test(head) ? null : undefined;
}

/**
 * The name listWorktrees derives from the main entry: `<main>/.git` is the main worktree's (or a bare repo
 * kept in a `.git` folder: the same name); otherwise only a bare repo (`app.git`) is understood here.
 */
function repoNameFor(commonDir: string): string | null {
  if (basename(commonDir) === '.git') return repoNameOf(dirname(commonDir), false);
  const config = (textOrNull(join(commonDir, 'config')) ?? '').toLowerCase();
  const bareValues = [...config.matchAll(/^\s*bare\s*=\s*(\S+)\s*$/gm)].map((m) => m[1]);
  if (bareValues.length !== 1 || bareValues[0] !== 'true') return null; // --separate-git-dir and the like
  return repoNameOf(commonDir, true);
}

function realFolder(path: string): string | null {
  const real = orNull(() => realpathSync(path));
  if (real === null) return null;
  const info = orNull(() => statSync(real));
  if (info === null) return null;
  return info.isDirectory() ? real : dirname(real);
}

/** What git's is_git_directory looks for. */
function looksLikeGitDir(dir: string): boolean {
  const head = orNull(() => lstatSync(join(dir, 'HEAD')));
  return head !== null && orNull(() => statSync(join(dir, 'objects')))?.isDirectory() === true && orNull(() => statSync(join(dir, 'refs')))?.isDirectory() === true;
}

/** One of git's small files, read as repo-layout.ts reads them (a FIFO or a folder is refused, never waited on). */
function textOrNull(file: string): string | null {
  return orNull(() => readSmallFileSync(file).toString('utf8'));
}

/** The value, or null where the look or read failed (missing, unreadable, not a folder...): git is asked then. */
function orNull<T>(look: () => T): T | null {
  try {
    return look();
  } catch {
    return null;
  }
}
