/**
 * Is a file we are about to write ignored by git, or tracked? And the fix: patterns in `<common-dir>/info/exclude`,
 * which apply to every worktree of the repo and never show up in a diff or a commit.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { analyzeIgnore, type IgnoreAnalysis } from './ignore-fast-path.js';
import type { PassCache } from '../files/recorded-reads.js';
import { runGit } from './worktrees.js';
import type { IgnoreStatus } from './types.js';

/**
 * Paths are relative to `worktreePath`. A directory path counts as tracked when any file under it is.
 * First the in-process proof (ignore-fast-path.ts), which settles the steady state (our patterns in info/exclude,
 * nothing tracked) without starting git; whatever it cannot prove goes to git, as checkIgnoredByGit.
 */
export async function checkIgnored(
  worktreePath: string,
  relPaths: readonly string[],
  options: { forPlanning?: boolean; cache?: PassCache<IgnoreAnalysis> } = {},
): Promise<IgnoreStatus> {
  if (relPaths.length === 0) return { ignored: new Map(), tracked: new Set() };
  const analysis = await analyzeIgnore(worktreePath, relPaths, options.cache);
  const proven = analysis.ignored;
  // For a plan, "untracked, and our line not in info/exclude yet" is enough: it only adds that line (harmless when
  // already ignored); the check right before a write (apply-ignore.ts) still proves it or asks git.
  const settled = (relPath: string) => proven.has(relPath) || (options.forPlanning === true && analysis.untrackedNotExcluded.has(relPath));
  const rest = relPaths.filter((relPath) => !settled(relPath));
  const byGit = rest.length > 0 ? await checkIgnoredByGit(worktreePath, rest) : null;
  const ignored = new Map<string, boolean>();
  for (const relPath of relPaths) ignored.set(relPath, proven.has(relPath) || byGit?.ignored.get(relPath) === true);
  const tracked = byGit?.tracked ?? new Set<string>();
  const once = analysis.ignoredOnceExcluded;
  if (once.size === 0 || analysis.commonDir === null) return { ignored, tracked };
  return { ignored, tracked, ignoredOnceExcluded: { commonDir: analysis.commonDir, paths: once } };
}

/**
 * The answer from git alone. One `git check-ignore` for all paths; a second process (`git ls-files`) only when
 * some path is not ignored, because check-ignore never calls a tracked file ignored and we must tell "untracked"
 * from "tracked".
 */
export async function checkIgnoredByGit(worktreePath: string, relPaths: readonly string[]): Promise<IgnoreStatus> {
  const ignored = new Map<string, boolean>();
  const tracked = new Set<string>();
  if (relPaths.length === 0) return { ignored, tracked };

  const byGit = await ignoredByGit(worktreePath, relPaths);
  for (const relPath of relPaths) ignored.set(relPath, byGit.get(relPath) === true);

  const notIgnored = relPaths.filter((relPath) => ignored.get(relPath) !== true);
  if (notIgnored.length > 0) {
    for (const relPath of await trackedAmong(worktreePath, notIgnored)) tracked.add(relPath);
  }
  return { ignored, tracked };
}

/**
 * Appends the patterns that `<commonDir>/info/exclude` lacks, under a `# added by ravi-orchestrator` line.
 * Existing bytes are never rewritten: one O_APPEND write of only the missing lines, decided on a read made
 * through the same handle just before, so two concurrent callers at worst both add a line (harmless).
 * An append that fails partway (a full disk) is cut back off: a cut-short line could be a pattern of its own
 * (`*.ravi-tmp` cut after `*` would hide every untracked file). Returns whether the file changed.
 */
export async function ensureExcluded(commonDir: string, patterns: readonly string[]): Promise<boolean> {
  return (await appendExcludes(commonDir, patterns)).length > 0;
}

/** ensureExcluded, answering with the lines it appended (so last in the file), in order; none when it changed nothing. */
export async function appendExcludes(commonDir: string, patterns: readonly string[]): Promise<readonly string[]> {
  const wanted = [...new Set(patterns.map((p) => p.trimEnd()).filter((p) => p !== ''))];
  for (const pattern of wanted) {
    if (/[\r\n]/.test(pattern)) throw new TypeError(`exclude pattern must be a single line: ${JSON.stringify(pattern)}`);
  }
  const file = join(commonDir, 'info', 'exclude');
  // Cheap first look without opening for writing, so the common "already there" case touches nothing.
  if (missingPatterns(await readOrEmpty(file), wanted).length === 0) return [];

  await mkdir(dirname(file), { recursive: true });
  const handle = await open(file, 'a+');
  try {
    const current = await handle.readFile(); // re-read: another process may have added them meanwhile
    const missing = missingPatterns(current, wanted);
    if (missing.length === 0) return [];
    const separator = current.length > 0 && current[current.length - 1] !== 0x0a ? '\n' : '';
    const chunk = Buffer.from(`${separator}# added by ravi-orchestrator\n${missing.map((p) => `${p}\n`).join('')}`);
    try {
      let written = 0;
      while (written < chunk.length) {
        written += (await handle.write(chunk, written)).bytesWritten;
      }
      // The exclude must be on disk before a secret is written next to it.
      await handle.datasync();
    } catch (error) {
      await handle.truncate(current.length).catch(() => {});
      throw new ExcludeWriteError(file, error);
    }
    return missing;
  } finally {
    await handle.close();
  }
}

/** info/exclude could not be extended; it was cut back to what it held before. `code` is the system's (ENOSPC, ...). */
export class ExcludeWriteError extends Error {
  override readonly name: string = 'ExcludeWriteError';
  readonly code: string;
  readonly file: string;
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
    super(`Could not add ignore rules to ${file}: ${(cause as Error | undefined)?.message ?? String(cause)}; it was left as it was`, { cause });
    this.code = code;
    this.file = file;
  }
}

/** `git check-ignore --verbose --non-matching` prints one record per path: source, line, pattern, path. */
async function ignoredByGit(worktreePath: string, relPaths: readonly string[]): Promise<Map<string, boolean>> {
  const { stdout } = await runGit(worktreePath, ['check-ignore', '--stdin', '-z', '--verbose', '--non-matching'], {
    input: relPaths.map((p) => `${p}\0`).join(''),
    okExitCodes: [1], // 1 = none of the paths is ignored
  });
  const fields = stdout.split('\0');
  const result = new Map<string, boolean>();
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const pattern = fields[i + 2] as string;
    const path = fields[i + 3] as string;
    // --verbose also reports a matching negated pattern (`!.env`), which means "not ignored".
    result.set(path, pattern !== '' && !pattern.startsWith('!'));
  }
  return result;
}

async function trackedAmong(worktreePath: string, relPaths: readonly string[]): Promise<string[]> {
  // --literal-pathspecs: a file name with `*` or `:` is a name, not a glob or a pathspec magic.
  const { stdout } = await runGit(worktreePath, ['--literal-pathspecs', 'ls-files', '-z', '--cached', '--', ...relPaths]);
  const files = stdout.split('\0').filter((f) => f !== '');
  return relPaths.filter((relPath) => {
    const wanted = normalizeRel(relPath);
    return files.some((file) => file === wanted || file.startsWith(`${wanted}/`));
  });
}

function normalizeRel(relPath: string): string {
  return posix.normalize(relPath).replace(/\/+$/, '');
}

function missingPatterns(content: Buffer, wanted: readonly string[]): string[] {
  const present = new Set(content.toString('utf8').split('\n').map((line) => line.trimEnd()));
  return wanted.filter((pattern) => !present.has(pattern));
}

async function readOrEmpty(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}
