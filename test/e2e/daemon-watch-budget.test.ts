/**
 * The built daemon's inotify budget, counted in /proc/<pid>/fdinfo: one watch per worktree's folder and one
 * per worktree's git admin folder, plus the common dir, worktrees/ and the config's folder (2N + 3; chokidar
 * spent 5N + 5). Then the real kernel limit: the daemon runs in a user namespace of its own whose
 * /proc/sys/user/max_inotify_watches is set below what it needs (the machine-wide sysctl is not touched, so
 * nothing else running here is affected). What it cannot watch shows in `status` and `status --json` with the
 * sysctl to raise, and an edit there is still repaired, by the shorter fallback resync.
 * Linux only (inotify and /proc).
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { packagesLoaded, writePackageProbe } from '../support/package-probe.js';
import type { DaemonStatus } from '../../src/daemon/status-file.js';

const LINUX = process.platform === 'linux';
// A user namespace whose own inotify limit we may set (unprivileged user namespaces, or root as here and in CI).
const USERNS = LINUX && spawnSync('unshare', ['-U', '-r', 'sh', '-c', 'echo 100 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' }).status === 0;
const WORKTREES = 6;
const NEEDED = 2 * WORKTREES + 3;

const namespaced: ResultPromise[] = [];
afterAll(async () => {
  for (const child of namespaced) child.kill('SIGKILL');
  await Promise.allSettled(namespaced);
  await killAllDaemons();
  await cleanupTempDirs();
});

async function fixture(): Promise<{ repo: TestRepo; home: string; worktrees: string[] }> {
  const repo = await createRepo({ name: 'budget' });
  const worktrees: string[] = [];
  for (let i = 0; i < WORKTREES; i += 1) worktrees.push(await repo.addWorktree(`wt-${i}`));
  const home = await createTempDir('ravi-watch-budget-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { enabled: false } }));
  return { repo, home, worktrees };
}

const statusOf = (home: string) => readJsonFile<DaemonStatus>(join(home, 'state', 'daemon-status.json'));
const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;

/** Running, every worktree provisioned, nothing queued: the watches are all placed (or reported). */
async function settled(home: string, worktrees: readonly string[]): Promise<DaemonStatus> {
  return waitFor(async () => {
    const status = await statusOf(home);
    const idle = status?.state === 'running' && status.queue.queued.length === 0 && status.queue.running.length === 0 && status.watch !== undefined;
    const provisioned = (await Promise.all(worktrees.map(emailOf))).every((email) => email !== undefined);
    return idle && provisioned ? status : null;
  }, 'the daemon to provision every worktree and go idle', 60_000);
}

/** inotify watches held by `pid`, from the fdinfo of its inotify fds (inotify(7), proc(5)). */
async function inotifyWatches(pid: number): Promise<number> {
  let watches = 0;
  for (const fd of await readdir(`/proc/${pid}/fdinfo`)) {
    const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    watches += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  return watches;
}

describe.skipIf(!LINUX)('the inotify budget of the built daemon', () => {
  it(`spends 2N + 3 watches on N worktrees (${NEEDED} for ${WORKTREES}), says so in status, loads no unused package`, async () => {
    const { repo, home, worktrees } = await fixture();
    const daemon = startDaemonProcess({ cwd: repo.path, home, env: { NODE_OPTIONS: await writePackageProbe(home) } });
    const status = await settled(home, worktrees);
    expect(await inotifyWatches(daemon.pid)).toBe(NEEDED);
    expect(status.watch).toEqual({ watched: NEEDED, unwatched: 0, problems: [], fix: null, fallbackResyncMs: null });
    expect(await daemon.stop()).toBe(0);
    // Mail is off: neither the SMTP server nor the mail parser; chokidar and execa have no use in a daemon.
    const loaded = packagesLoaded(daemon.output());
    expect(loaded).toContain('pino'); // the control: the probe saw what the daemon loaded
    for (const unused of ['smtp-server', 'mailparser', 'chokidar', 'execa', 'typescript', 'jiti']) expect(loaded).not.toContain(unused);
  });

  it.skipIf(!USERNS)('past a real limit: status names the folders and the sysctl, and an edit there is still repaired', async () => {
    const { repo, home, worktrees } = await fixture();
    const limit = NEEDED - 4; // the config folder and the git admin area come first: 4 worktree folders go unwatched
    const child = execa('unshare', ['-U', '-r', 'sh', '-c', `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`, process.execPath, CLI_PATH, 'daemon'], {
      cwd: repo.path,
      reject: false,
      extendEnv: false,
      env: isolatedEnv(home, { RAVI_ORCHESTRATOR_DEBOUNCE_MS: '100', RAVI_ORCHESTRATOR_UNWATCHED_RESYNC_MS: '1000' }),
    });
    namespaced.push(child);
    const status = await settled(home, worktrees);
    expect(await inotifyWatches(child.pid as number)).toBe(limit);

    const watch = status.watch;
    expect(watch?.watched).toBe(limit);
    expect(watch?.unwatched).toBe(4);
    expect(watch?.fallbackResyncMs).toBe(1000);
    expect(watch?.problems.map((problem) => problem.code)).toEqual(['ENOSPC', 'ENOSPC', 'ENOSPC', 'ENOSPC']);
    expect(watch?.problems.every((problem) => problem.repo === repo.path && worktrees.includes(problem.path))).toBe(true);
    expect(watch?.fix).toContain(`(fs.inotify.max_user_watches = ${limit})`);
    expect(watch?.fix).toContain('sudo sysctl fs.inotify.max_user_watches=524288');

    const json = JSON.parse((await runBuiltCli(['status', '--json'], { cwd: repo.path, home })).stdout) as { daemon: { status: DaemonStatus } };
    expect(json.daemon.status.watch).toEqual(watch);
    const text = (await runBuiltCli(['status'], { cwd: repo.path, home })).stdout;
    expect(text).toContain('! 4 folder(s) not watched (ENOSPC): changes there are seen every 1s, not at once');
    expect(text).toContain('fix: the inotify watch limit');

    // An edit inside the managed block of an unwatched worktree: no event comes, the fallback resync repairs it.
    const unwatched = watch?.problems[0]?.path as string;
    const email = await emailOf(unwatched);
    const env = await readFile(join(unwatched, '.env'), 'utf8');
    await writeFile(join(unwatched, '.env'), env.replace(email as string, 'tampered@example.com'));
    await waitFor(async () => (await emailOf(unwatched)) === email, 'the fallback resync to repair the block');

    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
    // One warning for the lot (when their number changes), not a stack trace per folder.
    const log = await readFile(join(home, 'state', 'logs', 'daemon.log'), 'utf8');
    const warnings = log.split('\n').filter((line) => line.includes('ENOSPC'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
  });
});
