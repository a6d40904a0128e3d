/**
 * The daemon's watch sources against real git commands on temp repos. Every wait is a bounded poll on a
 * condition; "nothing happened" is checked after a quiet window several debounce periods long.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createConfigSource } from '../../src/daemon/sources/config-source.js';
import { createGitSource } from '../../src/daemon/sources/git-source.js';
import type { Source } from '../../src/daemon/sources/source.js';
import { createWorktreeFilesSource, watchPlan } from '../../src/daemon/sources/worktree-files-source.js';
import { writeFileAtomically } from '../../src/files/atomic-write.js';
import { cleanupTempDirs, createRepo, createTempDir, git, type TestRepo } from '../support/git-fixtures.js';

const DEBOUNCE_MS = 150;
/** Long enough for a stray event to have been flushed if there were one. */
const QUIET_MS = DEBOUNCE_MS * 4 + 300;

const open: Source[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((source) => source.close()));
});
afterAll(cleanupTempDirs);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records enqueued keys; each flush enqueues a key once, so a key's count is its number of flushes. */
function recorder(): { enqueue: (key: string, settled?: boolean) => void; count: (key: string) => number; keys: string[]; settled: boolean[] } {
  const keys: string[] = [];
  const settled: boolean[] = [];
  return {
    enqueue: (key, isSettled) => {
      keys.push(key);
      settled.push(isSettled === true);
    },
    count: (key) => keys.filter((k) => k === key).length,
    keys,
    settled,
  };
}

async function started<S extends Source>(source: S, rec: ReturnType<typeof recorder>): Promise<S> {
  open.push(source);
  source.start(rec.enqueue);
  await source.waitForSync();
  return source;
}

async function watchRepo(repo: TestRepo, debounceMs = DEBOUNCE_MS) {
  const rec = recorder();
  const source = await started(createGitSource([repo.commonDir], { debounceMs }), rec);
  /** Runs `action` and waits for the repo's key to be enqueued (once more than before). */
  const expectEnqueued = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    const before = rec.count(repo.commonDir);
    await action();
    await waitFor(() => rec.count(repo.commonDir) > before, `the repo key after ${what}`);
  };
  return { rec, source, expectEnqueued };
}

function fsWatchHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;
}

describe('git source', () => {
  it('enqueues one flush for the burst of `git worktree add`', async () => {
    const repo = await createRepo();
    // A debounce longer than any pause inside one `git worktree add`, even on a loaded machine (at 150 ms a
    // busy CI box split the burst in two): the test is about coalescing, not about the default's length.
    const debounceMs = 1_000;
    const { rec, expectEnqueued } = await watchRepo(repo, debounceMs);
    await expectEnqueued('git worktree add', () => repo.addWorktree('feat/x'));
    await sleep(debounceMs * 2 + 300);
    expect(rec.keys).toEqual([repo.commonDir]);
  });

  it('flushes at once, settled, when `git worktree add`, `unlock` and `remove` finish: no quiet time to wait', async () => {
    const repo = await createRepo();
    await repo.addWorktree('keep'); // keeps worktrees/ alive while the other one goes
    // A debounce far longer than waitFor's timeout: a key can only arrive in time through the settled flush.
    const { rec, expectEnqueued } = await watchRepo(repo, 600_000);
    let wt = '';
    await expectEnqueued('git worktree add', async () => (wt = await repo.addWorktree('feat/x')));
    await repo.lockWorktree(wt); // no key yet: locking is not a command's last step...
    await expectEnqueued('git worktree unlock', () => repo.unlockWorktree(wt)); // ...but the unlock is, and flushes both
    await expectEnqueued('git worktree remove', () => repo.removeWorktree(wt));
    expect(rec.settled).toEqual([true, true, true]);
  });

  it('sees git worktree remove, move, lock and unlock', async () => {
    const repo = await createRepo();
    const keep = await repo.addWorktree('keep'); // keeps worktrees/ alive while the other one goes
    const wt = await repo.addWorktree('feat/x');
    const { expectEnqueued } = await watchRepo(repo);
    await expectEnqueued('git worktree lock', () => repo.lockWorktree(wt, 'on a usb disk'));
    await expectEnqueued('git worktree unlock', () => repo.unlockWorktree(wt));
    await expectEnqueued('git worktree move', () => repo.moveWorktree(wt, join(repo.root, 'moved', 'x')));
    await expectEnqueued('git worktree remove', () => repo.removeWorktree(join(repo.root, 'moved', 'x')));
    await expectEnqueued('git worktree lock of the survivor', () => repo.lockWorktree(keep));
  });

  it('sees a branch switch inside a worktree', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/x');
    const { expectEnqueued } = await watchRepo(repo);
    await expectEnqueued('git switch -c other', () => git(wt, 'switch', '--quiet', '-c', 'other'));
    await expectEnqueued('git switch --detach', () => git(wt, 'switch', '--quiet', '--detach'));
  });

  it('sees git worktree prune after the folder was deleted by hand', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('gone');
    await repo.addWorktree('stays');
    const { expectEnqueued } = await watchRepo(repo);
    await rm(wt, { recursive: true, force: true });
    await expectEnqueued('git worktree prune', () => repo.prune());
  });

  it('follows worktrees/ vanishing with the last linked worktree and coming back', async () => {
    const repo = await createRepo();
    const only = await repo.addWorktree('only');
    const { expectEnqueued } = await watchRepo(repo);
    await expectEnqueued('removing the last linked worktree', () => repo.removeWorktree(only));
    let again = '';
    await expectEnqueued('adding a worktree again', async () => (again = await repo.addWorktree('again')));
    // The re-created folders are watched too, not only noticed.
    await expectEnqueued('locking the new worktree', () => repo.lockWorktree(again));
    await expectEnqueued('a branch switch in the new worktree', () => git(again, 'switch', '--quiet', '-c', 'b2'));
  });

  it('ignores commits, in the main worktree and in a linked one', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/x');
    const { rec, expectEnqueued } = await watchRepo(repo);
    await repo.commitFile('src/a.txt', 'a\n');
    await repo.commitFile('b.txt', 'b\n', { worktree: wt });
    await repo.git('gc', '--quiet'); // packs objects, rewrites packed-refs
    await sleep(QUIET_MS);
    expect(rec.keys).toEqual([]);
    await expectEnqueued('a lock, to show the watcher was alive', () => repo.lockWorktree(wt));
  });

  it('adds and drops repos on setRepos', async () => {
    const first = await createRepo({ name: 'first' });
    const second = await createRepo({ name: 'second' });
    const { rec, source } = await watchRepo(first);
    await source.setRepos([second.commonDir]);
    await second.addWorktree('x');
    await waitFor(() => rec.count(second.commonDir) === 1, 'the second repo key');
    await first.addWorktree('y');
    await sleep(QUIET_MS);
    expect(rec.count(first.commonDir)).toBe(0);
  });

  it('sees a repo deleted, and watches it again after a re-clone on the next setRepos', async () => {
    const origin = await createRepo({ name: 'origin' });
    const repo = await createRepo();
    const wt = await repo.addWorktree('x');
    const { source, expectEnqueued } = await watchRepo(repo);
    await expectEnqueued('rm -rf of the repo', async () => {
      await rm(repo.path, { recursive: true, force: true });
      await rm(wt, { recursive: true, force: true });
    });
    await git(repo.root, 'clone', '--quiet', origin.path, repo.path);
    await source.setRepos([repo.commonDir]);
    await expectEnqueued('git worktree add in the re-cloned repo', () => repo.addWorktree('x'));
  });

  it('watches the common dir, worktrees/ and one admin folder per worktree: 2 + N', async () => {
    const repo = await createRepo();
    for (let i = 0; i < 20; i += 1) await repo.addWorktree(`wt-${i}`);
    const baseline = fsWatchHandles();
    const { source, expectEnqueued } = await watchRepo(repo);
    // Nothing in objects/ or logs/, and no watch per file (chokidar placed three per worktree here).
    expect(fsWatchHandles() - baseline).toBe(2 + 20);
    expect(source.watchCount()).toBe(2 + 20);
    await expectEnqueued('a worktree added', () => repo.addWorktree('wt-20'));
    await waitFor(() => source.watchCount() === 2 + 21, 'the new admin folder to be watched');
    expect(source.problems()).toEqual([]);
  });
});

describe('worktree files source', () => {
  async function setup() {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/x');
    const env = join(wt, '.env');
    const scoped = join(wt, '.ravi', 'config.json');
    await writeFile(env, 'A=1\n');
    const rec = recorder();
    const source = await started(createWorktreeFilesSource({ debounceMs: DEBOUNCE_MS }), rec);
    await source.setWatched([{ key: 'repo-key', files: [wt, env, scoped] }]);
    const expectEnqueued = async (what: string, action: () => Promise<unknown>): Promise<void> => {
      const before = rec.count('repo-key');
      await action();
      await waitFor(() => rec.count('repo-key') > before, `the key after ${what}`);
    };
    return { repo, wt, env, scoped, rec, source, expectEnqueued };
  }

  it('sees an edit of the env file and rm -rf of the worktree folder', async () => {
    const { wt, env, expectEnqueued } = await setup();
    await expectEnqueued('an edit of .env', () => writeFile(env, 'A=2\n'));
    await expectEnqueued('rm -rf of the worktree', () => rm(wt, { recursive: true, force: true }));
  });

  it('sees rm -rf of a worktree folder that holds none of the watched files yet', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('bare-folder');
    const rec = recorder();
    const source = await started(createWorktreeFilesSource({ debounceMs: DEBOUNCE_MS }), rec);
    await source.setWatched([{ key: 'k', files: [wt, join(wt, '.env')] }]);
    await rm(wt, { recursive: true, force: true });
    await waitFor(() => rec.count('k') === 1, 'the key after rm -rf of the worktree');
  });

  it('sees .ravi/config.json created after the watch started, then edited', async () => {
    const { scoped, expectEnqueued } = await setup();
    await expectEnqueued('creating .ravi/config.json', async () => {
      await mkdir(join(scoped, '..'), { recursive: true });
      await writeFile(scoped, '{}\n');
    });
    await expectEnqueued('editing .ravi/config.json', () => writeFile(scoped, '{"a":1}\n'));
  });

  it('turns our own atomic write into one flush, and ignores other files', async () => {
    const { wt, env, rec } = await setup();
    await writeFile(join(wt, 'notes.txt'), 'not ours\n');
    await writeFileAtomically(env, 'A=3\n');
    await waitFor(() => rec.count('repo-key') === 1, 'the key after an atomic write');
    await sleep(QUIET_MS);
    expect(rec.keys).toEqual(['repo-key']);
  });

  it('keeps watching an entry whose file list grows', async () => {
    const { repo, wt, env, scoped, source, expectEnqueued } = await setup();
    const other = await repo.addWorktree('feat/y');
    const otherEnv = join(other, '.env');
    await source.setWatched([{ key: 'repo-key', files: [wt, env, scoped, other, otherEnv] }]);
    await expectEnqueued('creating the new worktree\'s .env', () => writeFile(otherEnv, 'B=1\n'));
    await expectEnqueued('an edit of the first .env', () => writeFile(env, 'A=5\n'));
  });

  it('watches one folder per worktree, and .ravi/ once it exists', async () => {
    const { wt, scoped, source, expectEnqueued } = await setup();
    expect(source.watchCount()).toBe(1); // .ravi/ is missing: its creation is seen through the worktree's folder
    await expectEnqueued('creating .ravi/', () => mkdir(join(wt, '.ravi')));
    await source.setWatched([{ key: 'repo-key', files: [wt, join(wt, '.env'), scoped] }]); // what the pass does
    expect(source.watchCount()).toBe(2);
    expect(source.problems()).toEqual([]);
  });

  it('stops watching an entry dropped by setWatched', async () => {
    const { env, rec, source } = await setup();
    await source.setWatched([]);
    await writeFile(env, 'A=4\n');
    await sleep(QUIET_MS);
    expect(rec.keys).toEqual([]);
  });
});

describe('watchPlan', () => {
  it('watches each file through its folder, admitted by name, and a worktree folder itself', () => {
    const plan = watchPlan(['/w/app/x', '/w/app/x/.env', '/w/app/x/.ravi/config.json', '/w/app/x/apps/web/.env', '/w/app/y', '/w/app/y/.env']);
    // One folder per worktree when its env file sits at its top; the worktrees' parent is not watched.
    expect(Object.fromEntries([...plan].map(([folder, names]) => [folder, [...names].sort()]))).toEqual({
      '/w/app/x': ['.env'],
      '/w/app/x/.ravi': ['config.json'],
      '/w/app/x/apps/web': ['.env'],
      '/w/app/y': ['.env'],
    });
  });
});

describe('config source', () => {
  it('calls onChange once when the file is replaced by rename', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'ravi-orchestrator.config.json');
    await writeFile(file, '{}\n');
    await writeFile(join(dir, 'unrelated.txt'), 'x\n');
    let changes = 0;
    const source = createConfigSource(file, { debounceMs: DEBOUNCE_MS });
    source.onChange(() => (changes += 1));
    await started(source, recorder());
    await writeFile(`${file}.tmp`, '{"repos":[]}\n');
    await rename(`${file}.tmp`, file);
    await waitFor(() => changes === 1, 'onChange after a rename over the config file');
    await writeFile(join(dir, 'unrelated.txt'), 'y\n');
    await sleep(QUIET_MS);
    expect(changes).toBe(1);
  });

  it('watches nothing without a file', async () => {
    const baseline = fsWatchHandles();
    const source = await started(createConfigSource(null), recorder());
    expect(fsWatchHandles()).toBe(baseline);
    await source.close();
  });
});

describe('close', () => {
  it('leaves no fs watcher open and is idempotent', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('x');
    const baseline = fsWatchHandles();
    const rec = recorder();
    const gitSource = createGitSource([repo.commonDir], { debounceMs: DEBOUNCE_MS });
    const files = createWorktreeFilesSource({ debounceMs: DEBOUNCE_MS });
    const config = createConfigSource(join(repo.path, 'ravi-orchestrator.config.json'));
    for (const source of [gitSource, files, config]) await started(source, rec);
    await files.setWatched([{ key: 'k', files: [wt, join(wt, '.env')] }]);
    expect(fsWatchHandles()).toBeGreaterThan(baseline);
    await repo.lockWorktree(wt); // an event in flight while closing
    await Promise.all([gitSource.close(), files.close(), config.close(), gitSource.close()]);
    // Node closes the handles on the next turn of the event loop.
    await waitFor(() => fsWatchHandles() === baseline, 'every fs.watch handle to close');
    await sleep(QUIET_MS);
    expect(rec.keys).toEqual([]); // the pending flush was cancelled
  });
});
