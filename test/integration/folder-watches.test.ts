/**
 * FolderWatches against real folders: one fs.watch per folder, a missing folder watched through its nearest
 * ancestor until it appears, a folder deleted and made again watched anew, and a watch that cannot be placed
 * (an injected ENOSPC, the error a spent inotify budget gives) kept as a problem and placed on a later sync
 * once it can be. The real kernel limit is exercised on the built daemon in test/e2e/daemon-watch-budget.test.ts.
 */
import { watch } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FolderWatches, type FolderPlan, type PlaceWatch } from '../../src/daemon/sources/folder-watches.js';
import { describeFix } from '../../src/daemon/watch-problems.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);
const QUIET_MS = 500;
const open: FolderWatches[] = [];
afterEach(() => {
  for (const watches of open.splice(0)) watches.close();
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function plan(entries: Record<string, string[]>, key = 'k'): Map<string, FolderPlan> {
  return new Map(Object.entries(entries).map(([folder, names]) => [folder, { names: new Set(names), keys: new Set([key]) }]));
}

/** FolderWatches whose events are counted per folder; `place` may be swapped for a failing one. */
function counted(place?: PlaceWatch) {
  const events: string[] = [];
  const watches = new FolderWatches((folder) => events.push(folder), place);
  open.push(watches);
  return { watches, events, count: (folder: string) => events.filter((f) => f === folder).length };
}

/** fs.watch, except for the folders in `full`, which fail as inotify_add_watch does when the budget is spent. */
function budget(full: Set<string>): PlaceWatch {
  return (folder, onChange) => {
    if (full.has(folder)) throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${folder}'`), { code: 'ENOSPC' });
    return watch(folder, { persistent: true }, (_type, name) => onChange(name));
  };
}

describe('FolderWatches', () => {
  it('watches each folder once, admits only the planned names, and sees the folder itself go', async () => {
    const root = await createTempDir();
    const wt = join(root, 'wt');
    await mkdir(wt);
    const { watches, count } = counted();
    watches.sync(plan({ [wt]: ['.env'] }));
    expect(watches.size).toBe(1);
    await writeFile(join(wt, 'notes.txt'), 'x\n');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS)); // a stray event would have come by now
    expect(count(wt)).toBe(0);
    await writeFile(join(wt, '.env'), 'A=1\n');
    await waitFor(() => count(wt) >= 1, 'the .env event');
    const before = count(wt);
    await rm(join(wt, 'notes.txt'));
    await rm(wt, { recursive: true });
    await waitFor(() => count(wt) > before, 'the folder deletion');
  });

  it('watches a missing folder through its ancestor, and itself as soon as it appears', async () => {
    const root = await createTempDir();
    const scoped = join(root, 'wt', '.ravi');
    await mkdir(join(root, 'wt'));
    const { watches, count } = counted();
    watches.sync(plan({ [scoped]: ['config.json'] }));
    expect(watches.size).toBe(1); // wt/, filtered to '.ravi'
    await mkdir(scoped);
    await waitFor(() => count(join(root, 'wt')) >= 1, 'the creation of .ravi/');
    expect(watches.size).toBe(1); // .ravi/ itself now, in the same turn as the event; wt/ no longer
    await writeFile(join(scoped, 'config.json'), '{}\n');
    await waitFor(() => count(scoped) >= 1, 'the event in .ravi/');
  });

  it('watches a folder deleted and made again anew at the next sync', async () => {
    const root = await createTempDir();
    const scoped = join(root, '.ravi');
    await mkdir(scoped);
    const { watches, count } = counted();
    const wanted = plan({ [root]: ['.ravi'], [scoped]: ['config.json'] });
    watches.sync(wanted);
    await rm(scoped, { recursive: true });
    await mkdir(scoped);
    await waitFor(() => count(root) >= 1, 'the parent to see it');
    watches.sync(wanted); // what the pass that event causes does
    await writeFile(join(scoped, 'config.json'), '{}\n');
    await waitFor(() => count(scoped) >= 1, 'the event in the new .ravi/');
  });

  it('keeps a watch it cannot place as a problem, watches the rest, and places it once it can', async () => {
    const root = await createTempDir();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => join(root, name)) as [string, string, string];
    for (const folder of [a, b, c]) await mkdir(folder);
    const full = new Set([b, c]);
    const { watches, count } = counted(budget(full));
    const wanted = new Map([...plan({ [a]: ['.env'] }, 'repo-1'), ...plan({ [b]: ['.env'], [c]: ['.env'] }, 'repo-2')]);
    watches.sync(wanted);
    expect(watches.size).toBe(1);
    expect(watches.problems()).toEqual([
      { path: b, code: 'ENOSPC', keys: ['repo-2'] },
      { path: c, code: 'ENOSPC', keys: ['repo-2'] },
    ]);
    await writeFile(join(a, '.env'), 'A=1\n');
    await waitFor(() => count(a) >= 1, 'the watched folder to work');
    full.delete(b); // the limit raised, or other watches freed
    watches.sync(wanted);
    expect(watches.size).toBe(2);
    expect(watches.problems()).toEqual([{ path: c, code: 'ENOSPC', keys: ['repo-2'] }]);
    await writeFile(join(b, '.env'), 'B=1\n');
    await waitFor(() => count(b) >= 1, 'the folder watched at last');
  });
});

describe('describeFix', () => {
  const sysctl = (values: Record<string, number>) => (name: string) => values[name] ?? null;
  it('names the sysctl to raise, with its current value', () => {
    const fix = describeFix(new Set(['ENOSPC']), sysctl({ 'fs/inotify/max_user_watches': 8192 }));
    expect(fix).toContain('(fs.inotify.max_user_watches = 8192)');
    expect(fix).toContain('`sudo sysctl fs.inotify.max_user_watches=524288`');
    expect(fix).toContain('/etc/sysctl.d/');
  });
  it('reports the lower of the machine and namespace limits, and suggests at least double', () => {
    const fix = describeFix(new Set(['ENOSPC']), sysctl({ 'fs/inotify/max_user_watches': 1_000_000, 'user/max_inotify_watches': 600_000 }));
    expect(fix).toContain('(fs.inotify.max_user_watches = 600000)');
    expect(fix).toContain('fs.inotify.max_user_watches=1200000');
  });
  it('the instance limit for EMFILE, and a plain word for the rest', () => {
    const fix = describeFix(new Set(['EMFILE', 'EACCES']), sysctl({}));
    expect(fix).toContain('sudo sysctl fs.inotify.max_user_instances=1024');
    expect(fix).toContain('EACCES: check that this user can read those folders');
  });
});
