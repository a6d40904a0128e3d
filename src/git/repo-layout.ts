/**
 * Finds a worktree's git dir and common dir by reading the files git itself reads (`<worktree>/.git`, then
 * `<gitdir>/commondir`), without starting git. Returns null for every layout it does not fully understand,
 * including the ones where git would refuse to run or would look elsewhere: the caller then asks git.
 */
import { isAbsolute, join } from 'node:path';
import { RecordedReads, type Summary } from '../files/recorded-reads.js';
import { childPath } from '../util/child-path.js';

export interface RepoLayout {
  /** The worktree's own admin dir: `<commonDir>/worktrees/<id>` for a linked worktree, `.git` for the main one. */
  readonly gitDir: string;
  readonly commonDir: string;
  /** Bytes of an object name in the index: 20 (SHA-1); SHA-256 repositories are not handled. */
  readonly hashSize: 20;
}

export async function readRepoLayout(worktreePath: string): Promise<RepoLayout | null> {
  return readRepoLayoutWith(worktreePath, new RecordedReads());
}

/** The same, through `reads`, which then holds every file this answer rests on (see recorded-reads.ts). */
export function readRepoLayoutWith(worktreePath: string, reads: RecordedReads): RepoLayout | null {
  const dotGit = childPath(worktreePath, '.git');
  const dotGitStat = reads.lstat(dotGit);
  let gitDir: string;
  if (dotGitStat?.isDirectory() === true) {
    gitDir = dotGit;
  } else if (dotGitStat?.isFile() === true) {
    // Same reading as git's read_gitfile: "gitdir: <path>", trailing CR/LF dropped, relative to the .git file.
    const match = /^gitdir: ([^\r\n]+)[\r\n]*$/.exec(reads.read(dotGit)?.toString('utf8') ?? '');
    if (match === null) return null;
    gitDir = reads.realpath(under(worktreePath, match[1] as string));
  } else {
    return null; // absent (git would search the parent folders), a symlink, or something else
  }

  // A linked worktree's admin dir names the common dir; git resolves it after symlinks, and so does realpath.
  const commonDirFile = reads.read(childPath(gitDir, 'commondir'))?.toString('utf8') ?? null;
  const linked = commonDirFile !== null;
  const commonDir = linked ? reads.realpath(commonDirPath(gitDir, commonDirFile.replace(/[\r\n]+$/, ''), dotGitStat.isFile())) : gitDir;

  // What git's is_git_directory checks, then the ownership check behind "detected dubious ownership".
  const head = reads.lstat(childPath(gitDir, 'HEAD'));
  const objects = reads.stat(childPath(commonDir, 'objects'));
  const refs = reads.stat(childPath(commonDir, 'refs'));
  if (head?.isFile() !== true || objects?.isDirectory() !== true || refs?.isDirectory() !== true) return null;
  if (!ownedByUs(reads, [worktreePath, gitDir, ...(dotGitStat.isFile() ? [dotGit] : [])])) return null;

  const config = reads.summarize(childPath(commonDir, 'config'), CONFIG_FACTS);
  if (config === 'absent' || config[linked ? 0 : 1] !== 'P') return null;
  if (config[2] === 'W') {
    const worktreeConfig = reads.read(childPath(gitDir, 'config.worktree'))?.toString('utf8') ?? null;
    if (worktreeConfig !== null && !configIsPlain(worktreeConfig, linked)) return null;
  }
  return { gitDir, commonDir, hashSize: 20 };
}

/**
 * What this file takes from the repository's config, shared by every worktree: plain for a linked worktree (P/-),
 * plain for the main one (P/-), and whether it mentions worktreeConfig (W/-). Only these: git rewrites the config
 * to delete a branch (its section), which must not void every worktree's kept answer (recorded-reads.ts).
 */
const CONFIG_FACTS: Summary = {
  name: 'git-config-facts',
  of: (bytes) => {
    if (bytes === null) return 'absent';
    const text = bytes.toString('utf8');
    return `${configIsPlain(text, true) ? 'P' : '-'}${configIsPlain(text, false) ? 'P' : '-'}${/\bworktreeconfig\b/i.test(text) ? 'W' : '-'}`;
  },
};

/**
 * Rules out, by a cautious look at the raw text (any mention counts, comments included), the repository settings
 * that would change where git looks or how it reads the index: `core.worktree`, `core.bare` (honoured only for
 * the main worktree), a repository format git may refuse, and `extensions.objectFormat` (SHA-256).
 */
function configIsPlain(text: string, linked: boolean): boolean {
  const lower = text.toLowerCase();
  if (lower.includes('objectformat') || /\bworktree\b/.test(lower)) return false;
  if (!valuesAll(lower, 'repositoryformatversion', /^\s*=\s*[01]\s*$/)) return false;
  return linked || valuesAll(lower, 'bare', /^\s*=\s*false\s*$/);
}

/** Every occurrence of the word `key` is followed, on its line, by text matching `rest`. */
function valuesAll(lower: string, key: string, rest: RegExp): boolean {
  for (const match of lower.matchAll(new RegExp(`\\b${key}\\b(.*)$`, 'gm'))) {
    if (!rest.test(match[1] as string)) return false;
  }
  return true;
}

/** This process's effective user: asked once (a syscall), not once per worktree; we never change it. */
const EUID = process.geteuid?.();

/** Git refuses a repository whose worktree, .git file or git dir another user owns (unless safe.directory). */
function ownedByUs(reads: RecordedReads, paths: readonly string[]): boolean {
  const euid = EUID;
  // As root git compares with SUDO_UID; the test-only override makes git pretend every path is someone else's.
  if (euid === undefined || (euid === 0 && process.env['SUDO_UID'] !== undefined)) return false;
  if (process.env['GIT_TEST_ASSUME_DIFFERENT_OWNER'] !== undefined) return false;
  return paths.every((path) => reads.lstat(path)?.uid === euid);
}

/**
 * Where `commondir` points. Nearly always `../..` from a linked worktree's admin folder, which came from realpath:
 * every folder of a real path is a real folder, so its `..` is its parent by name and the text can be joined
 * without a look (then every worktree asks for the same path, looked at once per pass: shared-looks.ts).
 */
function commonDirPath(gitDir: string, text: string, gitDirIsReal: boolean): string {
  return gitDirIsReal && /^\.\.(\/\.\.)*\/?$/.test(text) ? join(gitDir, text) : under(gitDir, text);
}

/** `relative` joined the way git joins it: as text, so that `..` is resolved by realpath after symlinks. */
function under(base: string, relative: string): string {
  return isAbsolute(relative) ? relative : `${base}/${relative}`;
}
