/**
 * Wakes a waiting `otp --wait` (or MCP `wait_for_code`) the moment a message file lands in a local
 * inbox, instead of at its next poll: the local SMTP server renames the message into place before it
 * answers 250, so the waiter reads it within milliseconds. Plain fs.watch (inotify, FSEvents) on the
 * two inbox folders; a folder that does not exist yet is watched through its nearest existing parent
 * until it appears. chokidar is not used here: `otp` is a short-lived agent command whose start-up
 * is budgeted (issue 16), and two folders need none of its features.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Provider } from '../providers/types.js';
import { inboxFolder } from '../mail/inbox-store.js';

/** "Look again": a change signal that is never lost between a read and the next wait. */
export interface Wakeup {
  /** Forgets earlier signals: the read that follows sees what they announced. */
  clear(): void;
  /** Resolves at the next signal after clear() (at once if one came since). */
  next(): Promise<void>;
  close(): void;
}

/** A wakeup for this identity's inbox where the provider keeps it on this machine; null means poll only. */
export function inboxWakeup(provider: Provider, stateDir: string, identityUuid: string): Wakeup | null {
  if (provider.kind !== 'local') return null;
  return watchFolders([inboxFolder(stateDir, identityUuid, 'email'), inboxFolder(stateDir, identityUuid, 'sms')]);
}

export function watchFolders(folders: readonly string[]): Wakeup {
  let pending = false;
  let waiters: Array<() => void> = [];
  const signal = () => {
    pending = true;
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const closers = folders.map((folder) => watchFolder(folder, signal));
  return {
    clear: () => {
      pending = false;
    },
    next: () => (pending ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: () => {
      for (const close of closers) close();
      waiters = [];
    },
  };
}

/** Watches `target`, or its nearest existing parent until `target` appears (or again after it is removed). */
function watchFolder(target: string, onChange: () => void): () => void {
  let watcher: FSWatcher | null = null;
  let watched: string | null = null;
  let closed = false;

  const arm = (): void => {
    if (closed) return;
    const folder = nearestExisting(target);
    if (folder === watched && watcher !== null) return;
    watcher?.close();
    watcher = null;
    watched = folder;
    if (folder === null) return;
    try {
      // Not persistent: a watch must never keep a finished command alive.
      watcher = watch(folder, { persistent: false }, () => {
        if (watched === target && existsSync(target)) onChange();
        else arm(); // a parent changed: the target may exist now (or the target itself went away)
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
        watched = null;
        arm();
      });
    } catch {
      watcher = null; // unwatchable (no inotify slots): the caller's polling still finds the message
      return;
    }
    // Messages that landed before this watch was placed are only seen by a fresh read.
    if (folder === target) onChange();
    // A folder made below this one before the watch was placed sent its event to no one (another process,
    // the mail server, makes the inbox path one level at a time): look again, and move down if one appeared.
    else if (nearestExisting(target) !== folder) arm();
  };

  arm();
  return () => {
    closed = true;
    watcher?.close();
    watcher = null;
  };
}

function nearestExisting(path: string): string | null {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(current)) return current;
    if (dirname(current) === current) return null;
  }
}
