/**
 * `FolderWatches`: one fs.watch per folder (https://nodejs.org/api/fs.html#fswatchfilename-options-listener),
 * which on Linux is one inotify watch however many entries the folder holds, filtered to the entry names
 * that matter. A file is watched through its folder, never on its own: inotify reports a folder's entries
 * being written, created, deleted and renamed over (an editor's or our own atomic save) on the folder's one
 * watch (inotify(7)), and a watch per file would only spend more of the per-user budget
 * (fs.inotify.max_user_watches), which is what chokidar did here: five watches per worktree.
 *
 * A folder that does not exist is watched through its nearest existing ancestor (filtered to the name on the
 * way down), so that its creation is seen. A watch that cannot be placed for another reason (ENOSPC: the
 * inotify budget is spent; EMFILE; EACCES) is kept as a problem: sync() tries it again each time, and the
 * daemon reports it and looks at those repos more often (watch-problems.ts).
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Admits every entry name except lock files (`*.lock`, which git and others create and delete around writes). */
export const ANY_NAME = '*';

/** What to watch in one folder: the entry names whose change matters, and the keys to hand out then. */
export interface FolderPlan {
  readonly names: ReadonlySet<string>;
  readonly keys: ReadonlySet<string>;
}

/** A folder that could not be watched, and why (`code` is Node's: ENOSPC, EMFILE, EACCES, ...). */
export interface WatchProblem {
  readonly path: string;
  readonly code: string;
  readonly keys: readonly string[];
}

/** A WatchProblem as an Error, for callers that log errors. */
export class WatchError extends Error {
  override readonly name: string = 'WatchError';
  readonly code: string;
  readonly path: string;
  constructor(problem: WatchProblem) {
    super(`cannot watch ${problem.path} (${problem.code})`);
    this.code = problem.code;
    this.path = problem.path;
  }
}

interface Placed {
  readonly watcher: FSWatcher;
  /** dev:ino:birthtime when the watch began: a folder deleted and made again is another one. */
  readonly identity: string;
  names: Set<string>;
  keys: Set<string>;
  /** An event said this folder itself may have gone or been replaced: check before trusting the watch. */
  suspect: boolean;
}

export class FolderWatches {
  readonly #placed = new Map<string, Placed>();
  readonly #problems = new Map<string, WatchProblem>();
  /** Planned folders that did not exist at the last sync, watched through an ancestor meanwhile. */
  readonly #missing = new Set<string>();
  #plan: ReadonlyMap<string, FolderPlan> = new Map();
  readonly #onEvent: (folder: string, keys: ReadonlySet<string>, entry: string | null) => void;
  readonly #place: PlaceWatch;
  #closed = false;

  /**
   * `onEvent` gets the folder, its keys and the entry name for every change of an admitted name (or of the folder
   * itself: entry null or the folder's own name). `place` is fs.watch; tests pass one that fails the way a spent
   * inotify budget does.
   */
  constructor(onEvent: (folder: string, keys: ReadonlySet<string>, entry: string | null) => void, place: PlaceWatch = placeWatch) {
    this.#onEvent = onEvent;
    this.#place = place;
  }

  /** Makes the watches match `plan` (folder -> names and keys); unchanged folders keep their watch. */
  sync(plan: ReadonlyMap<string, FolderPlan>): void {
    if (this.#closed) return;
    this.#plan = plan;
    const wanted = new Map<string, { names: Set<string>; keys: Set<string> }>();
    this.#problems.clear();
    this.#missing.clear();
    const queue = [...plan].map(([folder, { names, keys }]) => ({ folder, names, keys }));
    for (let index = 0; index < queue.length; index += 1) {
      const { folder, names, keys } = queue[index] as (typeof queue)[number];
      const merged = wanted.get(folder);
      if (merged !== undefined) {
        for (const name of names) merged.names.add(name);
        for (const key of keys) merged.keys.add(key);
        continue;
      }
      const outcome = this.#ensure(folder);
      if (outcome === 'placed') wanted.set(folder, { names: new Set(names), keys: new Set(keys) });
      else if (outcome === 'missing') {
        this.#missing.add(folder);
        const parent = dirname(folder);
        if (parent !== folder) queue.push({ folder: parent, names: new Set([basename(folder)]), keys });
      } else {
        const problem = this.#problems.get(folder);
        this.#problems.set(folder, { path: folder, code: outcome.code, keys: [...new Set([...(problem?.keys ?? []), ...keys])] });
      }
    }
    for (const [folder, placed] of this.#placed) {
      const next = wanted.get(folder);
      if (next === undefined) {
        placed.watcher.close();
        this.#placed.delete(folder);
      } else {
        placed.names = next.names;
        placed.keys = next.keys;
      }
    }
  }

  /** The folders that could not be watched at the last sync(). */
  problems(): WatchProblem[] {
    return [...this.#problems.values()];
  }

  /** Folders watched now. */
  get size(): number {
    return this.#placed.size;
  }

  /** Marks `folder` to be checked at the next sync() (its parent saw it change, or it was re-cloned). */
  recheck(folder: string): void {
    const placed = this.#placed.get(folder);
    if (placed !== undefined) placed.suspect = true;
  }

  close(): void {
    this.#closed = true;
    for (const placed of this.#placed.values()) placed.watcher.close();
    this.#placed.clear();
    this.#problems.clear();
  }

  /** Keeps a sound watch on `folder`, or places one: 'missing' when it does not exist, else the error. */
  #ensure(folder: string): 'placed' | 'missing' | { code: string } {
    const current = this.#placed.get(folder);
    if (current !== undefined && !current.suspect) return 'placed';
    const identity = identityOf(folder);
    if (current !== undefined) {
      current.suspect = false;
      if (identity === current.identity) return 'placed';
      current.watcher.close(); // gone, or another folder by that name now: its watch sees nothing
      this.#placed.delete(folder);
    }
    if (identity === null) return 'missing';
    try {
      const watcher = this.#place(folder, (name) => this.#event(folder, name));
      // An error (the folder went away on some platforms) may mean missed events: look again, re-place next sync.
      watcher.on('error', () => this.#event(folder, null));
      this.#placed.set(folder, { watcher, identity, names: new Set(), keys: new Set(), suspect: false });
      return 'placed';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : { code };
    }
  }

  #event(folder: string, name: string | Buffer | null): void {
    const placed = this.#placed.get(folder);
    if (placed === undefined || this.#closed) return;
    const entry = typeof name === 'string' ? name : null;
    // Linux names the folder itself when it is deleted or moved (libuv: no name -> the watched path's basename).
    const self = entry === null || entry === basename(folder);
    if (self) placed.suspect = true;
    if (entry !== null) this.recheck(join(folder, entry)); // a watched subfolder replaced: its watch is stale
    const admitted = self || (entry !== null && (placed.names.has(entry) || (placed.names.has(ANY_NAME) && !entry.endsWith('.lock'))));
    if (admitted) this.#onEvent(folder, placed.keys, entry);
    // A planned folder that was missing may exist now: watch it at once, not only at the next sync().
    if (entry !== null && this.#missing.has(join(folder, entry))) this.sync(this.#plan);
  }
}

/** Starts watching `folder`; throws as fs.watch does (ENOENT, ENOSPC, ...). */
export type PlaceWatch = (folder: string, onChange: (name: string | Buffer | null) => void) => FSWatcher;

const placeWatch: PlaceWatch = (folder, onChange) => watch(folder, { persistent: true }, (_type, name) => onChange(name));

function identityOf(folder: string): string | null {
  try {
    // ext4 hands a re-made folder the inode number of the deleted one at once; the birth time tells them apart.
    const info = statSync(folder);
    return info.isDirectory() ? `${info.dev}:${info.ino}:${info.birthtimeMs}` : null;
  } catch {
    return null;
  }
}
