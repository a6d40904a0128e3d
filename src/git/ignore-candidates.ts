/**
 * The paths an ignore proof (ignore-fast-path.ts) is asked about, taken apart once for all of a pass's worktrees:
 * each path's parts, its prefixes, its index probes and the probes of the .gitignore files above it.
 */
import type { Rules } from './ignore-fast-path.js';
import { lowerAscii, type IndexProbe } from './index-probe.js';

/** A path asked about, taken apart once: every worktree of a pass asks about the same ones. */
export interface Candidate {
  readonly relPath: string;
  readonly parts: readonly string[];
  /** a, a/b, ..., P */
  readonly paths: readonly string[];
  /** The index probes of `paths`: P also for anything under it. */
  readonly probes: readonly IndexProbe[];
  /** The probe of the .gitignore in the root (0) and in each folder above P. */
  readonly gitignoreProbes: readonly IndexProbe[];
  /** What the last info/exclude rules say of `paths` (rules are shared while info/exclude's text is: rulesOf). */
  verdict: { rules: Rules; covered: boolean; mayUnignore: boolean } | null;
}

/**
 * The same relPaths for each of a pass's worktrees: taken apart once (plainParts' tests, the prefixes and the probe
 * objects were a worktree's largest share of the proof's own work and garbage at N = 500), not once a worktree.
 */
let lastCandidates: { relPaths: readonly string[]; candidates: readonly Candidate[] } | null = null;

export function candidatesFor(relPaths: readonly string[]): readonly Candidate[] {
  if (lastCandidates !== null && sameStrings(lastCandidates.relPaths, relPaths)) return lastCandidates.candidates;
  const candidates = candidatesOf(relPaths);
  lastCandidates = { relPaths: [...relPaths], candidates };
  return candidates;
}

/** candidatesFor without its memo: for a question asked once, which should not displace the pass's. */
export function candidatesOf(relPaths: readonly string[]): Candidate[] {
  return relPaths.flatMap((relPath): Candidate[] => {
    const parts = plainParts(relPath);
    if (parts === null) return [];
    const paths = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    return [{
      relPath,
      parts,
      paths,
      probes: paths.map((path, i) => ({ path, orUnder: i === paths.length - 1 })),
      gitignoreProbes: parts.map((_, depth) => ({ path: depth === 0 ? '.gitignore' : `${paths[depth - 1] as string}/.gitignore`, orUnder: false })),
      verdict: null,
    }];
  });
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Paths this reasoning covers: plain names (no glob or pathspec magic, no spaces or quoting), no `.`, `..`,
 * `.git` or empty parts, no leading or trailing slash. Null for anything else.
 */
function plainParts(relPath: string): string[] | null {
  const parts = relPath.split('/');
  const plain = parts.every((p) => /^[A-Za-z0-9._+@=,~%-]+$/.test(p) && p !== '.' && p !== '..' && lowerAscii(p) !== '.git');
  return plain ? parts : null;
}
