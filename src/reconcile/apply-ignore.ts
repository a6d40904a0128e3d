/** Last check before a secret touches a worktree: git must ignore the file (and not track it). */
import { checkIgnored, ensureExcluded } from '../git/ignore.js';
import type { IgnoreStatus } from '../git/types.js';
import { TEMP_FILES_EXCLUDE, tempFileExample } from '../files/temp-files.js';
import { tempFileNotIgnored } from './ignore-temp-files.js';
import { EnvFileError } from '../util/errors.js';
import { join } from 'node:path';
import type { WorktreeLookup } from './apply.js';
import { singlePass, type PassCache, type RecordedReads } from '../files/recorded-reads.js';
import { appendedLinesCover, type IgnoreAnalysis } from '../git/ignore-fast-path.js';

export async function assertIgnored(worktreePath: string, relPath: string, knownIgnored = false, checked?: IgnoreStatus): Promise<void> {
  // Observed as ignored at the start of this pass: no second git process on the hot path.
  if (knownIgnored) return;
  const status = checked ?? (await checkIgnored(worktreePath, [relPath]));
  if (status.ignored.get(relPath) === true) return;
  const file = join(worktreePath, relPath);
  const why = status.tracked.has(relPath)
    ? 'it is tracked by git'
    : 'git does not ignore it even after adding it to info/exclude (a .gitignore rule such as "!' + relPath + '" re-includes it)';
  throw new EnvFileError(`Refusing to write ${file}: ${why}. Nothing ravi-orchestrator writes may show up in git status.`, { file });
}

/**
 * The looks apply's last checks before a write share (apply.ts): the repo's common dir, objects/, refs/, each
 * folder's real path, and the summaries of the files every worktree's answer rests on (the repo's config, its
 * info/exclude), each read once for the phase, not once per worktree (at N = 500, two of the five reads of each
 * check). Apply's repo phase has appended its patterns to info/exclude before the first check; a check that
 * appends later (assertWritable, below) renews the looks, so no later check rests on the file as it was before.
 * A check that took its summary just before an append only misses that line: it then asks git, never wrongly
 * concludes "ignored".
 */
export class WriteCheckLooks implements PassCache<IgnoreAnalysis> {
  #pass = singlePass<IgnoreAnalysis>();

  get(key: string, compute: (reads: RecordedReads) => IgnoreAnalysis): IgnoreAnalysis {
    return this.#pass.get(key, compute);
  }

  /** A file the looks rest on changed: every later check looks again. */
  renew(): void {
    this.#pass = singlePass<IgnoreAnalysis>();
  }
}

/**
 * The last check before a file of ours is rewritten in a worktree: git ignores the file and the temp file its
 * atomic write puts beside it. What observe() already proved costs nothing, and so does what it proved would
 * follow from the lines this pass then appended to info/exclude (a repo's first pass: one proof per worktree, not
 * two); the rest is one check for both. `excluded`: the patterns this pass's ensure-excluded steps made sure of,
 * by common dir; `appended`: the lines they appended; `looks`: the apply phase's shared looks at the repo's files
 * (apply.ts).
 */
export async function assertWritable(
  found: WorktreeLookup | undefined,
  commonDir: string,
  worktreePath: string,
  relPath: string,
  { excluded, appended, looks }: {
    excluded?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
    appended?: ReadonlyMap<string, readonly string[]> | undefined;
    looks?: WriteCheckLooks | undefined;
  } = {},
): Promise<void> {
  const probe = tempFileExample(relPath);
  const lines = appended?.get(commonDir);
  const known = (path: string) => knownIgnored(found, path) || (lines !== undefined && ignoredByAppendedLines(found, commonDir, path, lines));
  const [fileKnown, probeKnown] = [known(relPath), known(probe)];
  if (fileKnown && probeKnown) return;
  // One read when the line is there already; none when this pass put it there (the check below still proves it).
  if (!probeKnown && excluded?.get(commonDir)?.has(TEMP_FILES_EXCLUDE) !== true && (await ensureExcluded(commonDir, [TEMP_FILES_EXCLUDE]))) looks?.renew();
  const status = await checkIgnored(worktreePath, [...(fileKnown ? [] : [relPath]), ...(probeKnown ? [] : [probe])], { cache: looks });
  if (!fileKnown) await assertIgnored(worktreePath, relPath, status.ignored.get(relPath) === true, status);
  if (!probeKnown && status.ignored.get(probe) !== true) throw tempFileNotIgnored(commonDir, worktreePath, relPath, probe);
}

/**
 * Whether observe() saw that git would ignore this file once info/exclude ended with a line covering it, and `lines`,
 * appended since to that same info/exclude, cover it (ignore-fast-path.ts says why that settles it).
 */
function ignoredByAppendedLines(found: WorktreeLookup | undefined, commonDir: string, relPath: string, lines: readonly string[]): boolean {
  const ignore = found?.observed.ignore;
  const once = ignore?.ok === true ? ignore.value.ignoredOnceExcluded : undefined;
  return once !== undefined && once.commonDir === commonDir && once.paths.has(relPath) && appendedLinesCover(lines, relPath);
}

/** Whether observe() already saw git ignore this file in this worktree. */
export function knownIgnored(found: WorktreeLookup | undefined, relPath: string): boolean {
  const ignore = found?.observed.ignore;
  return ignore?.ok === true && ignore.value.ignored.get(relPath) === true;
}
