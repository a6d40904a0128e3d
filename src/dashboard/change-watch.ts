/**
 * What tells a standalone dashboard that its view may be stale: the state dir (audit trail, ledger,
 * daemon status: whatever the daemon or a one-shot reconcile does shows up there) and each repo's git
 * admin area (a worktree added or removed shows up before anything reconciles it). A slow timer covers
 * the rest (an edited `.env`, "deleted in 5m" counting down).
 */
import { mkdir } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { createDebouncer, startWatcher, type StartedWatcher } from '../daemon/sources/source.js';
import { createGitSource, type GitSource } from '../daemon/sources/git-source.js';

export interface ChangeWatch {
  /** Resolves once every watcher has done its initial scan. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const STATE_ENTRIES: ReadonlySet<string> = new Set(['audit', 'ledger', 'daemon-status.json']);
const PERIODIC_MS = 30_000;

export async function watchForChanges(options: {
  stateDir: string;
  commonDirs: readonly string[];
  onChange: () => void;
  onError: (error: unknown) => void;
  debounceMs?: number;
}): Promise<ChangeWatch> {
  const debouncer = createDebouncer(() => options.onChange(), options.debounceMs ?? 150);
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const state: StartedWatcher = startWatcher(
    options.stateDir,
    { depth: 1, ignored: (path) => !isStateEntry(options.stateDir, path) },
    () => debouncer.add('state'),
    options.onError,
  );
  const git: GitSource = createGitSource(options.commonDirs, { debounceMs: options.debounceMs, onError: options.onError });
  git.start(() => debouncer.add('git'));
  const timer = setInterval(() => options.onChange(), PERIODIC_MS);
  timer.unref();
  return {
    ready: Promise.all([state.ready, git.waitForSync()]).then(() => undefined),
    async close() {
      clearInterval(timer);
      debouncer.cancel();
      await Promise.allSettled([state.close(), git.close()]);
    },
  };
}

/** The state dir itself and the entries above; not the local inboxes, logs or backups. */
function isStateEntry(stateDir: string, path: string): boolean {
  const rel = relative(stateDir, path);
  if (rel === '') return true;
  return STATE_ENTRIES.has(rel.split(sep)[0] as string);
}
