// Helpers for bench/run.mjs and the standalone bench scripts: processes, temp folders (all removed on exit), real
// git repos, the fake Ravi server (in its own process), statistics and /proc readings (an idle window: sampleIdle). Plain ESM JavaScript: nothing to compile here.
import { spawn, fork, execFileSync } from 'node:child_process';
import { mkdtemp, realpath, rm, mkdir, writeFile, readFile, readdir, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
/** What users run: the package's bin (it answers `version` itself and enables Node's compile cache where there is one). */
export const CLI = join(ROOT, 'bin', 'ravi-orchestrator.cjs');
export const FAKE_CLI = join(BENCH_DIR, 'fake-ravi-cli.mjs');
export const SETUP_SH = join(BENCH_DIR, 'setup.sh');

/** Git ignores the machine's config (a global excludesFile listing `.env` would change results), as in the tests. */
export const GIT_ENV = Object.freeze({ GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' });

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A sleep that does not keep the process alive (for timeouts raced against an exit). */
export const sleepUnref = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

// ---------------------------------------------------------------------------------------------------------
// Cleanup registry: every temp folder and child process made here is removed/killed by cleanupAll().

const tempDirs = new Set();
const children = new Set();

export async function makeTempDir(prefix = 'ravi-bench-') {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir) {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.delete(dir);
}

/** Kills (SIGKILL) every child still running, then removes every temp folder. Safe to call twice. */
export async function cleanupAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of [...tempDirs]) await removeTempDir(dir).catch(() => {});
}

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Runs a command to completion; resolves {code, signal, stdout, stderr, ms} (ms = wall time from spawn to exit).
 * Never rejects on a non-zero exit; rejects on a spawn failure or when `timeoutMs` passes (the child is killed).
 */
export function run(command, args, { cwd, env, input, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = track(spawn(command, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    if (input !== undefined) {
      child.stdin.on('error', () => {}); // a child that exits without reading its input: EPIPE is not our failure
      child.stdin.end(input);
    }
  });
}

/** Like run(), but throws with the output when the exit code is not 0. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code ?? result.signal}\n${result.stdout}\n${result.stderr}`.trim());
  }
  return result;
}

/** `until` is polled every `everyMs` until it returns a truthy value, for at most `timeoutMs`. */
export async function waitFor(until, what, { timeoutMs = 60_000, everyMs = 25 } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await until();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Git fixtures (real git, like test/support/git-fixtures.ts).

export function gitEnv(extra = {}) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...GIT_ENV, ...extra };
}

export async function git(cwd, ...args) {
  return (await runOk('git', args, { cwd, env: gitEnv() })).stdout;
}

/**
 * `<root>/app` with one commit on main, and `count` worktrees `<root>/app-worktrees/<prefix>NNNN` on their own branches.
 * `trackedFiles`: the commit also tracks that many files (`src/mNNN/file_NNN.tsx`, 100 a folder), as a real
 * project's index does (20,000: 2.2 MB a worktree); they are put in the index only, and each worktree's index is
 * filled from the commit (`read-tree`) without writing them to its folder: the pass reads indexes, not those files.
 */
export async function createRepoWithWorktrees(root, count, prefix = 'wt-', { trackedFiles = 0 } = {}) {
  const repo = join(root, 'app');
  await mkdir(repo, { recursive: true });
  await git(repo, '-c', 'init.defaultBranch=main', 'init', '--quiet');
  await git(repo, 'config', 'user.name', 'Bench');
  await git(repo, 'config', 'user.email', 'bench@example.com');
  await git(repo, 'config', 'commit.gpgsign', 'false');
  await writeFile(join(repo, 'README.md'), '# bench repo\n');
  await git(repo, 'add', 'README.md');
  if (trackedFiles > 0) {
    const blob = (await runOk('git', ['hash-object', '-w', '--stdin'], { cwd: repo, env: gitEnv(), input: 'tracked\n' })).stdout.trim();
    const entries = Array.from({ length: trackedFiles }, (_, i) => `100644 ${blob}\tsrc/m${String(Math.floor(i / 100)).padStart(3, '0')}/file_${String(i % 100).padStart(3, '0')}.tsx\0`);
    await runOk('git', ['update-index', '--add', '-z', '--index-info'], { cwd: repo, env: gitEnv(), input: entries.join('') });
  }
  await git(repo, 'commit', '--quiet', '-m', 'initial commit');
  const worktrees = [];
  for (let i = 1; i <= count; i++) {
    const name = `${prefix}${String(i).padStart(4, '0')}`;
    const path = join(root, 'app-worktrees', name);
    await git(repo, 'worktree', 'add', '--quiet', ...(trackedFiles > 0 ? ['--no-checkout'] : []), '-b', name, path, 'HEAD');
    if (trackedFiles > 0) await git(path, 'read-tree', 'HEAD');
    worktrees.push(path);
  }
  const commonDir = join(repo, '.git');
  return { repo, commonDir, worktrees, excludeFile: join(commonDir, 'info', 'exclude'), excludeOriginal: await readFile(join(commonDir, 'info', 'exclude'), 'utf8') };
}

/** Back to "never provisioned": no env file, no .ravi/, the original info/exclude. (The state dir is the caller's.) */
export async function resetWorktrees(fixture) {
  await Promise.all(
    fixture.worktrees.map(async (w) => {
      await rm(join(w, '.env'), { force: true });
      await rm(join(w, '.ravi'), { recursive: true, force: true });
    }),
  );
  await writeFile(fixture.excludeFile, fixture.excludeOriginal);
}

// ---------------------------------------------------------------------------------------------------------
// The fake Ravi server, in its own process (bench/fake-ravi-process.mjs).

export async function startFakeRavi(latencyMs) {
  const child = track(fork(join(BENCH_DIR, 'fake-ravi-process.mjs'), ['--latency', String(latencyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the fake Ravi server did not start within 15 s')), 15_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`the fake Ravi server exited (${code}) before it was ready`)));
  });
  let nextId = 1;
  const pending = new Map();
  child.on('message', (message) => {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(message.result);
  });
  const ask = (op, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, op, ...extra }, (error) => error && reject(error));
    });
  return {
    url: ready.url,
    managementKey: ready.managementKey,
    vaultUuid: ready.vaultUuid,
    pid: child.pid,
    stats: () => ask('stats'),
    reset: () => ask('reset'),
    calls: () => ask('calls'),
    identities: () => ask('identities'),
    setLatency: (ms) => ask('latency', { ms }),
    has: (uuid) => ask('has', { uuid }),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'close' });
      await Promise.race([exited, sleepUnref(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Statistics.

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { n, median, min: sorted[0] ?? NaN, max: sorted[n - 1] ?? NaN, p50: percentile(sorted, 50), p95: percentile(sorted, 95), values };
}

/** Runs each named command once per round, in a rotated order (so drift in the machine's load hits all alike). */
export async function interleaved(rounds, commands) {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  const names = Object.keys(commands);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const result = await commands[name]();
      if (result.code !== 0 && !commands[name].anyExit) throw new Error(`${name} exited ${result.code}: ${result.stderr.slice(-1000)}`);
      times[name].push(result.ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, summarize(values)]));
}

// ---------------------------------------------------------------------------------------------------------
// /proc readings (Linux).

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime, stime, cutime, cstime (ms) of a pid, from /proc/<pid>/stat. */
export async function procCpu(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14 -> index 11.
  const tick = (i) => (Number(fields[i]) * 1000) / CLK_TCK;
  return { utimeMs: tick(11), stimeMs: tick(12), cutimeMs: tick(13), cstimeMs: tick(14) };
}

/**
 * VmRSS and VmHWM in MB, from /proc/<pid>/status, and the two parts of VmRSS that tell a process's own memory from
 * the pages it maps of files (RssAnon: heap, stacks; RssFile: above all the node binary's code and data, which
 * every node process on the machine shares).
 */
export async function procMemory(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
}

/** Open file descriptors, by kind, and the number of inotify watches held through them. */
export async function procFds(pid) {
  const fds = await readdir(`/proc/${pid}/fd`);
  const kinds = {};
  let inotifyWatches = 0;
  for (const fd of fds) {
    let target;
    try {
      target = await readlink(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const kind = target.startsWith('anon_inode:') ? target.slice('anon_inode:'.length).replace(/^\[|\]$/g, '')
      : target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('/dev/') ? 'dev' : 'file';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (kind === 'inotify') {
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      inotifyWatches += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
    }
  }
  return { count: fds.length, kinds, inotifyWatches };
}

/** Times the process's threads were put on a CPU (field 3 of /proc/<pid>/task/<tid>/schedstat: timeslices run), all threads and the main one. */
export async function procWakeups(pid) {
  let all = 0;
  let main = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => null);
    if (text === null) continue;
    const count = Number(text.trim().split(' ')[2]);
    all += count;
    if (tid === String(pid)) main = count;
  }
  return { all, main };
}

/**
 * An idle window of `seconds` over a running process: RSS every second (VmRSS and its anonymous and file-backed
 * parts, medians; peak VmHWM), CPU (utime+stime, per second and in all), wakeups of all its threads and of its main
 * thread, open fds and inotify watches at the end.
 */
export async function sampleIdle(pid, seconds) {
  const cpuBefore = await procCpu(pid);
  const wakeupsBefore = await procWakeups(pid);
  const rss = [];
  const anon = [];
  const file = [];
  const cpuPerSecond = [];
  let cpuLast = cpuBefore.utimeMs + cpuBefore.stimeMs;
  const started = performance.now();
  for (let s = 0; s < seconds; s++) {
    await sleep(Math.max(0, started + (s + 1) * 1000 - performance.now()));
    const memory = await procMemory(pid);
    rss.push(memory.rssMb);
    anon.push(memory.anonMb);
    file.push(memory.fileMb);
    const cpu = await procCpu(pid);
    cpuPerSecond.push(cpu.utimeMs + cpu.stimeMs - cpuLast);
    cpuLast = cpu.utimeMs + cpu.stimeMs;
  }
  const cpuAfter = await procCpu(pid);
  const wakeupsAfter = await procWakeups(pid);
  const memory = await procMemory(pid);
  const fds = await procFds(pid);
  return {
    seconds: (performance.now() - started) / 1000,
    rssMb: summarize(rss).median, rssEndMb: rss.at(-1), hwmMb: memory.hwmMb, anonMb: summarize(anon).median, fileMb: summarize(file).median,
    cpuMs: cpuAfter.utimeMs + cpuAfter.stimeMs - cpuBefore.utimeMs - cpuBefore.stimeMs,
    childCpuMs: cpuAfter.cutimeMs + cpuAfter.cstimeMs - cpuBefore.cutimeMs - cpuBefore.cstimeMs,
    wakeups: { allThreads: wakeupsAfter.all - wakeupsBefore.all, mainThread: wakeupsAfter.main - wakeupsBefore.main },
    inotifyWatches: fds.inotifyWatches, fds: fds.count, fdKinds: fds.kinds,
    rssPerSecond: rss.map((mb) => Math.round(mb)), cpuMsPerSecond: cpuPerSecond,
  };
}
