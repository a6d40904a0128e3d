/**
 * Watches the config file and tells listeners, debounced, that it changed. It watches the file's folder
 * (filtered to the file's name) rather than the file: editors save by writing a temp file and
 * renaming it over the old one, which a watcher on the old file's inode alone would not follow.
 * A config change concerns every repo, so the `enqueue` given to start() is not used: listeners reload
 * the config and enqueue the repos themselves.
 */
import { dirname, resolve } from 'node:path';
import { createDebouncer, requireStarted, startWatcher, type Source, type StartedWatcher } from './source.js';

export interface ConfigSourceOptions {
  /** Quiet time after the last event before listeners are called. @default 150 */
  readonly debounceMs?: number;
  /** Watcher errors (EMFILE, inotify limits). Listeners are called as well. @default ignore */
  readonly onError?: (error: unknown) => void;
}

export interface ConfigSource extends Source {
  /** Called once per burst of changes to the file (saved, replaced by rename, deleted, created). */
  onChange(callback: () => void): void;
}

/** With `file` null (built-in defaults, no config file) nothing is watched and waitForSync resolves at once. */
export function createConfigSource(file: string | null, options: ConfigSourceOptions = {}): ConfigSource {
  const listeners: Array<() => void> = [];
  let watcher: StartedWatcher | null = null;
  let started = false;
  let closing: Promise<void> | null = null;
  const debouncer = createDebouncer(() => {
    for (const listener of listeners) listener();
  }, options.debounceMs ?? 150);

  return {
    onChange(callback) {
      listeners.push(callback);
    },
    start() {
      if (started || closing !== null) return;
      started = true;
      if (file === null) return;
      const target = resolve(file);
      const folder = dirname(target);
      // Effectively depth 0: the matcher admits the file's name only. (chokidar's `depth` is left unset: a
      // folder that appears later is counted one level deeper and would not be read.) The folder's parent
      // stays visible so that chokidar can wait there for a missing folder.
      const allowed = new Set([target, folder, dirname(folder)]);
      watcher = startWatcher(
        folder,
        { ignored: (path: string) => !allowed.has(path) },
        (_event, path) => {
          if (path === target) debouncer.add(target);
        },
        (error) => {
          options.onError?.(error);
          debouncer.add(target);
        },
      );
    },
    async waitForSync() {
      requireStarted(started || closing !== null, 'config source');
      await watcher?.ready;
    },
    close() {
      closing ??= (async () => {
        debouncer.cancel();
        listeners.length = 0;
        await watcher?.close();
        watcher = null;
      })();
      return closing;
    },
  };
}
