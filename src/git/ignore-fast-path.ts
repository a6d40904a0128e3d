/**
 * checkIgnored's fast path: proves from files alone that git ignores a path and does not track it, so that a
 * steady-state pass starts no `git check-ignore` per worktree. It only ever answers "ignored, untracked", and
 * only when that follows from the points below; every other path is left to git.
 *
 * Why that is git's answer (gitignore(5); git's dir.c and builtin/check-ignore.c):
 * - `<commonDir>/info/exclude` (shared by every worktree) has a line matching P literally: `/P`, or `/D` or `/D/`
 *   for a folder D above P (git tests each folder on the way, as a folder, before the path itself), or a line
 *   `*S` matching P's name by its ending (see coveredBy).
 * - Sources are tried from the highest precedence down (.gitignore files from P's folder up to the root, then
 *   info/exclude, then core.excludesFile), last line first, and the first match decides. Only a negation (`!`)
 *   can make a match "not ignored", so if no negation in info/exclude or in a .gitignore on P's way could match
 *   P or a folder above it, the first match is positive; core.excludesFile comes after info/exclude and never
 *   gets a say. A negation "could match" unless it is a literal (no `*?[\`) that is not a trailing part of those
 *   paths, compared ASCII case-insensitively.
 * - A .gitignore missing from disk is read from the index when marked skip-worktree, so the index must not hold
 *   it. A symlink on the way (git dies: "beyond a symbolic link") or a symlinked .gitignore: ask git.
 * - check-ignore never calls ignored what the index holds at P or under P/, and dies on a submodule above P;
 *   ls-files lists those same entries. The index must hold none of them (index-probe.ts).
 * - The repository is found the way git finds it, or not at all (repo-layout.ts).
 */
import { RecordedReads, type PassCache, type Summary } from '../files/recorded-reads.js';
import { candidatesFor, candidatesOf, type Candidate } from './ignore-candidates.js';
import { lowerAscii, probeIndex, type IndexProbe } from './index-probe.js';
import { readRepoLayoutWith } from './repo-layout.js';
import { childPath } from '../util/child-path.js';

/** The subset of `relPaths` that git certainly ignores and does not track; the others are for git to judge. */
export async function certainlyIgnored(worktreePath: string, relPaths: readonly string[]): Promise<ReadonlySet<string>> {
  return (await analyzeIgnore(worktreePath, relPaths)).ignored;
}

/**
 * The subset of `relPaths` that info/exclude does not cover yet and that git certainly does not track (the index
 * holds nothing at P, under P/, or at a folder above P). Says nothing about other ignore rules: it is for planning
 * a repo's first pass, where such a path simply gets our line in info/exclude (harmless if it was ignored already)
 * without a `git check-ignore` per worktree. A path our line already covers is left to git, as before.
 */
export async function untrackedNotYetExcluded(worktreePath: string, relPaths: readonly string[]): Promise<ReadonlySet<string>> {
  return (await analyzeIgnore(worktreePath, relPaths)).untrackedNotExcluded;
}

export interface IgnoreAnalysis {
  readonly ignored: ReadonlySet<string>;
  readonly untrackedNotExcluded: ReadonlySet<string>;
  /**
   * Of untrackedNotExcluded, the paths git will ignore once info/exclude ends with a line covering them: that line
   * then decides within info/exclude (its last match wins), and no .gitignore on the way, which git asks first,
   * could un-ignore them (the ones missing from disk are not in the index either). What lets a repo's first pass
   * write without proving each worktree again after it appended its lines (apply-ignore.ts).
   */
  readonly ignoredOnceExcluded: ReadonlySet<string>;
  /** The common dir whose info/exclude the answers rest on; null when none was read. */
  readonly commonDir: string | null;
}

/**
 * Both answers from one reading of the layout, info/exclude, the .gitignore files on the way and the index.
 * With `cache`, an earlier answer is reused while every file it rests on is unchanged (recorded-reads.ts).
 */
export async function analyzeIgnore(worktreePath: string, relPaths: readonly string[], cache?: PassCache<IgnoreAnalysis>): Promise<IgnoreAnalysis> {
  const compute = (reads: RecordedReads): IgnoreAnalysis => {
    try {
      return analyze(worktreePath, relPaths, reads);
    } catch {
      reads.reusable = false;
      return NOTHING_PROVEN; // a file we cannot read is a reason to ask git, never an answer
    }
  };
  return cache === undefined ? compute(new RecordedReads()) : cache.get(`${worktreePath}\0${relPaths.join('\0')}`, compute);
}

const NOTHING_PROVEN: IgnoreAnalysis = { ignored: new Set(), untrackedNotExcluded: new Set(), ignoredOnceExcluded: new Set(), commonDir: null };

const ABSENT = 'absent';
/** info/exclude's bytes, one char each (latin1 keeps them exact), marked so that no content equals "absent". */
const EXCLUDE_TEXT: Summary = { name: 'bytes', of: (bytes) => (bytes === null ? ABSENT : `=${bytes.toString('latin1')}`) };

export interface Rules {
  /** Lines as git reads them: one trailing CR and trailing spaces dropped. */
  readonly lines: ReadonlySet<string>;
  /** Lowercased literal bodies of negations; null for one that could match anything. */
  readonly negations: readonly (string | null)[];
  /** S of every line `*S` (S without a slash or wildcard): a name ending in S matches it (see coveredBy). */
  readonly endings: readonly string[];
}

type Gitignore = Rules | 'absent' | 'unsure';

function analyze(worktreePath: string, relPaths: readonly string[], reads: RecordedReads): IgnoreAnalysis {
  const candidates = candidatesFor(relPaths);
  if (candidates.length === 0) return NOTHING_PROVEN;
  const layout = readRepoLayoutWith(worktreePath, reads);
  if (layout === null) return NOTHING_PROVEN;
  const ignored = new Set<string>();
  const untrackedNotExcluded = new Set<string>();
  const ignoredOnceExcluded = new Set<string>();
  const answers: IgnoreAnalysis = { ignored, untrackedNotExcluded, ignoredOnceExcluded, commonDir: layout.commonDir };
  // Its text itself, not its stamp: one file every worktree's answer rests on (recorded-reads.ts, summarize).
  const excludeText = reads.summarize(childPath(layout.commonDir, 'info/exclude'), EXCLUDE_TEXT);
  const excludeAbsent = excludeText === ABSENT;
  const exclude = rulesOf(excludeAbsent ? '' : excludeText.slice(1));

  // Each question is a list of index probes whose answer is "no hit": ignored-and-untracked, or untracked-and-not-excluded.
  const gitignores = new Map<string, Gitignore>();
  const questions: { relPath: string; answer: Set<string>; probes: readonly IndexProbe[] }[] = [];
  for (const candidate of candidates) {
    const { relPath, probes } = candidate;
    const verdict = verdictOf(candidate, exclude);
    const decidedByExclude = verdict.covered && !excludeAbsent && !verdict.mayUnignore;
    if (!verdict.covered) questions.push({ relPath, answer: untrackedNotExcluded, probes });
    else if (!decidedByExclude) continue;
    // Ignored now (covered), or once our line ends info/exclude (not covered yet), if no .gitignore says otherwise.
    const missing = missingGitignores(worktreePath, candidate, gitignores, reads);
    if (missing === null) continue;
    questions.push({ relPath, answer: verdict.covered ? ignored : ignoredOnceExcluded, probes: missing.length === 0 ? probes : [...probes, ...missing] });
  }
  if (questions.length === 0) return answers;

  const allProbes = questions.flatMap((q) => q.probes);
  const hits = reads.scan(childPath(layout.gitDir, 'index'), (index) => probeIndex(index, allProbes, layout.hashSize), []);
  if (hits === null) return NOTHING_PROVEN;
  let at = 0;
  for (const { relPath, answer, probes } of questions) {
    let hit = false;
    for (let k = at; k < at + probes.length; k += 1) hit ||= hits[k] === true;
    if (!hit) answer.add(relPath); // no index: nothing is tracked
    at += probes.length;
  }
  return answers;
}

function verdictOf(candidate: Candidate, rules: Rules): { covered: boolean; mayUnignore: boolean } {
  if (candidate.verdict?.rules !== rules) {
    candidate.verdict = { rules, covered: coveredBy(rules, candidate.paths), mayUnignore: mayUnignore(rules, candidate.paths) };
  }
  return candidate.verdict;
}

/**
 * info/exclude holds `/P`, or `/D` or `/D/` for a folder D above P, or `*S` (S without a slash or wildcard) where
 * P's name ends in S: git matches such a line against the last path component by its ending alone (dir.c,
 * match_basename and PATTERN_FLAG_ENDSWITH); our temp files' line `*.ravi-tmp` is one.
 */
function coveredBy(rules: Rules, paths: readonly string[]): boolean {
  const last = paths.length - 1;
  const name = (paths[last] as string).slice((paths[last] as string).lastIndexOf('/') + 1);
  return (
    paths.some((path, i) => rules.lines.has(`/${path}`) || (i < last && rules.lines.has(`/${path}/`))) ||
    rules.endings.some((ending) => name.endsWith(ending))
  );
}

/**
 * Whether `lines`, appended to info/exclude (so last in it, where the last match decides), make git ignore `relPath`
 * as far as info/exclude goes: one covers it (coveredBy) and none could un-ignore it. Paired with an earlier
 * analysis's ignoredOnceExcluded, which answered for the .gitignore files and the index.
 */
export function appendedLinesCover(lines: readonly string[], relPath: string): boolean {
  // Asked once per worktree and path about the same lines: answered once per path (keyed by the lines' array).
  let answers = coverAnswers.get(lines);
  if (answers === undefined) coverAnswers.set(lines, (answers = new Map()));
  let answer = answers.get(relPath);
  if (answer === undefined) {
    const [candidate] = candidatesOf([relPath]);
    const rules = rulesOf(lines.join('\n'));
    answer = candidate !== undefined && coveredBy(rules, candidate.paths) && !mayUnignore(rules, candidate.paths);
    answers.set(relPath, answer);
  }
  return answer;
}

const coverAnswers = new WeakMap<readonly string[], Map<string, boolean>>();

/** `paths` relative to the folder of the rules' file; true if a negation there could match one of them. */
function mayUnignore(rules: Rules, paths: readonly string[]): boolean {
  return rules.negations.some(
    (body) => body === null || paths.some((path) => lowerAscii(path) === body || lowerAscii(path).endsWith(`/${body}`)),
  );
}

/**
 * Checks the .gitignore of the root and of every folder above P. Returns the probes of the ones missing from disk
 * (the index must not hold them), or null when one could un-ignore P or when something on the way is not a plain
 * folder.
 */
function missingGitignores(worktreePath: string, candidate: Candidate, cache: Map<string, Gitignore>, reads: RecordedReads): IndexProbe[] | null {
  const { parts, paths, gitignoreProbes } = candidate;
  const missing: IndexProbe[] = [];
  for (let depth = 0; depth < parts.length; depth += 1) {
    const folder = depth === 0 ? '' : (paths[depth - 1] as string);
    let gitignore = cache.get(folder);
    if (gitignore === undefined) {
      gitignore = readGitignore(worktreePath, folder, reads);
      cache.set(folder, gitignore);
    }
    if (gitignore === 'unsure') return null;
    if (gitignore === 'absent') missing.push(gitignoreProbes[depth] as IndexProbe);
    else if (mayUnignore(gitignore, paths.slice(depth).map((path) => path.slice(folder === '' ? 0 : folder.length + 1)))) return null;
  }
  return missing;
}

function readGitignore(worktreePath: string, folder: string, reads: RecordedReads): Gitignore {
  if (folder !== '') {
    const stats = reads.lstat(childPath(worktreePath, folder));
    if (stats === null) return 'absent'; // so are the folders below it, and their .gitignore files
    if (!stats.isDirectory()) return 'unsure'; // a symlink or a file where git expects a folder
  }
  const file = childPath(worktreePath, folder === '' ? '.gitignore' : `${folder}/.gitignore`);
  const stats = reads.lstat(file);
  if (stats === null) return 'absent';
  if (!stats.isFile()) return 'unsure'; // git will not follow a symlinked .gitignore, and then reads the index
  const bytes = reads.read(file);
  return bytes === null ? 'unsure' : rulesOf(bytes.toString('latin1')); // gone since the lstat: look again next time
}

/**
 * Rules by the text they were parsed from. Every worktree of a repo shares its info/exclude, and most share the
 * text of their root .gitignore (a project's 183-line one cost 0.1-0.2 ms a worktree to parse again), so a pass
 * parses each text once. A handful of texts at most in a pass; the memo starts over beyond that.
 */
const parsedRules = new Map<string, Rules>();
const PARSED_RULES_KEPT = 16;

function rulesOf(text: string): Rules {
  let rules = parsedRules.get(text);
  if (rules === undefined) {
    if (parsedRules.size >= PARSED_RULES_KEPT) parsedRules.clear();
    rules = parseRules(text);
    parsedRules.set(text, rules);
  }
  return rules;
}

/** `latin1`: the file's bytes, one char each. */
function parseRules(latin1: string): Rules {
  const text = latin1.replace(/^\xef\xbb\xbf/, ''); // git skips a UTF-8 BOM
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '').replace(/ +$/, ''));
  const negations = lines
    .map((line) => line.trimStart()) // ` !x` is not a negation to git; counting it is merely cautious
    .filter((line) => line.startsWith('!'))
    .map((line) => {
      const body = lowerAscii(line.slice(1).trimEnd().replace(/^\/+/, '').replace(/\/+$/, ''));
      return body === '' || /[*?[\\]/.test(body) ? null : body;
    });
  const endings = lines.filter((line) => /^\*[^*?[\\/]+$/.test(line)).map((line) => line.slice(1));
  return { lines: new Set(lines), negations, endings };
}
