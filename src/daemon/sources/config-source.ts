/**
 * Watches the config file and tells listeners, debounced, that it changed. It watches the file's folder
 * (filtered to the file's name: FolderWatches) rather than the file: editors save by writing a temp file and
 * renaming it over the old one, which a watcher on the old file's inode alone would not follow.
 * A config change concerns every repo, so the `enqueue` given to start() is not used: listeners reload
 * the config and enqueue the repos themselves.
 */
import { basename, dirname, resolve } from 'node:path';
import { FolderWatches, type WatchProblem } from './folder-watches.js';
import { createDebouncer, requireStarted, type Source } from './source.js';

export interface ConfigSourceOptions {
  /** Quiet time after the last event before listeners are called. @default 150 */
  readonly debounceMs?: number;
}

export interface ConfigSource extends Source {
  /** Called once per burst of changes to the file (saved, replaced by rename, deleted, created). */
  onChange(callback: () => void): void;
  /** The folder that could not be watched, if so (then the daemon checks the file on its fallback resync). */
  problems(): WatchProblem[];
  watchCount(): number;
}

/** With `file` null (built-in defaults, no config file) nothing is watched and waitForSync resolves at once. */
export function createConfigSource(file: string | null, options: ConfigSourceOptions = {}): ConfigSource {
  const listeners: Array<() => void> = [];
  let started = false;
  let closing: Promise<void> | null = null;
  const debouncer = createDebouncer(() => {
    for (const listener of listeners) listener();
  }, options.debounceMs ?? 150);
  const watches = new FolderWatches(() => debouncer.add('config'));

  return {
    onChange(callback) {
      listeners.push(callback);
    },
    start() {
      if (started || closing !== null) return;
      started = true;
      if (file === null) return;
      const target = resolve(file);
      watches.sync(new Map([[dirname(target), { names: new Set([basename(target)]), keys: new Set(['config']) }]]));
    },
    async waitForSync() {
      requireStarted(started || closing !== null, 'config source');
    },
    problems: () => watches.problems(),
    watchCount: () => watches.size,
    close() {
      closing ??= (async () => {
        debouncer.cancel();
        listeners.length = 0;
        watches.close();
      })();
      return closing;
    },
  };
}
