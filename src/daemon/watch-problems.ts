/**
 * What the daemon says about folders it could not watch: the `watch` entry of its status file (shown by
 * `status` and `status --json`), the fix, and which repos to look at more often meanwhile. On Linux the usual
 * cause is the per-user inotify budget (ENOSPC: fs.inotify.max_user_watches, shared with every IDE and dev
 * server of the same user), or its instance count (EMFILE: fs.inotify.max_user_instances); see inotify(7),
 * "/proc interfaces".
 */
import { readFileSync } from 'node:fs';
import type { WatchProblem } from './sources/folder-watches.js';

export interface WatchStatus {
  /** Folders watched now (on Linux one inotify watch each). */
  readonly watched: number;
  /** Folders that could not be watched. */
  readonly unwatched: number;
  /** The first few of them: the folder, the repo it is watched for (null: the config file's), and Node's error code. */
  readonly problems: ReadonlyArray<{ readonly repo: string | null; readonly path: string; readonly code: string }>;
  /** What to do about it, null when every folder is watched. */
  readonly fix: string | null;
  /** How often the repos with an unwatched folder are looked at meanwhile, null when none has one. */
  readonly fallbackResyncMs: number | null;
}

/** A problem with its keys turned into repos (null for the config file's folder). */
export interface RepoWatchProblem {
  readonly path: string;
  readonly code: string;
  readonly repos: ReadonlyArray<string | null>;
}

const LISTED = 10;

export function watchStatus(watched: number, problems: readonly RepoWatchProblem[], fallbackResyncMs: number): WatchStatus {
  return {
    watched,
    unwatched: problems.length,
    problems: problems.slice(0, LISTED).map(({ path, code, repos }) => ({ repo: repos[0] ?? null, path, code })),
    fix: problems.length === 0 ? null : describeFix(new Set(problems.map((problem) => problem.code))),
    fallbackResyncMs: problems.length === 0 ? null : fallbackResyncMs,
  };
}

/** The repos to look at on the fallback resync, and whether the config file's folder is unwatched. */
export function affected(problems: readonly RepoWatchProblem[]): { repos: Set<string>; config: boolean } {
  const repos = new Set<string>();
  let config = false;
  for (const problem of problems) {
    for (const repo of problem.repos) {
      if (repo === null) config = true;
      else repos.add(repo);
    }
  }
  return { repos, config };
}

/** Keys a source reported (repos, common dirs, 'config') as repos: `repoOf` maps a key, null for the config's. */
export function toRepoProblems(problems: readonly WatchProblem[], repoOf: (key: string) => string | null): RepoWatchProblem[] {
  return problems.map(({ path, code, keys }) => ({ path, code, repos: keys.map(repoOf) }));
}

/** The fix for each kind of failure seen: the sysctl to raise, with its current value. */
export function describeFix(codes: ReadonlySet<string>, readSysctl: (name: string) => number | null = readProcSysctl): string {
  const fixes: string[] = [];
  // In a user namespace the lower of the machine's limit and the namespace's own applies (user/max_inotify_*).
  const limit = (machine: string, namespace: string): number | null => {
    const values = [readSysctl(machine), readSysctl(namespace)].filter((value): value is number => value !== null);
    return values.length === 0 ? null : Math.min(...values);
  };
  if (codes.has('ENOSPC')) {
    fixes.push(raise('fs.inotify.max_user_watches', limit('fs/inotify/max_user_watches', 'user/max_inotify_watches'), 524_288, 'the inotify watch limit'));
  }
  if (codes.has('EMFILE')) {
    fixes.push(raise('fs.inotify.max_user_instances', limit('fs/inotify/max_user_instances', 'user/max_inotify_instances'), 1_024, 'the inotify instance limit (or the open file limit)'));
  }
  const other = [...codes].filter((code) => code !== 'ENOSPC' && code !== 'EMFILE');
  if (other.length > 0) fixes.push(`${other.join(', ')}: check that this user can read those folders`);
  return fixes.join('; ');
}

function raise(name: string, current: number | null, suggested: number, what: string): string {
  const value = Math.max(suggested, (current ?? 0) * 2);
  const now = current === null ? '' : ` (${name} = ${current})`;
  return `${what}${now} is used up, by this daemon and every other program of this user (IDEs, dev servers): ` +
    `raise it with \`sudo sysctl ${name}=${value}\`, and keep it with ` +
    `\`echo ${name}=${value} | sudo tee /etc/sysctl.d/60-ravi-orchestrator.conf\``;
}

function readProcSysctl(name: string): number | null {
  try {
    const value = Number(readFileSync(`/proc/sys/${name}`, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
