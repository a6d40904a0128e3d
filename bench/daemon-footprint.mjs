// The idle daemon's footprint, on its own (npm run bench measures it too, among much else):
//   npm run build && node bench/daemon-footprint.mjs [--worktrees 100] [--idle-seconds 60] [--provider ravi|local]
//                                                   [--watch-limit N] [--heap-snapshot FILE] [--cli bin/ravi-orchestrator.cjs]
// A repo with N provisioned worktrees (the ravi provider on the fake server, as in npm run bench; or the local
// provider, which also runs the SMTP and SMS servers), the built daemon started on it and let go idle, then,
// over the idle window: RSS (VmRSS, sampled every second, and its anonymous and file-backed parts; peak VmHWM), the
// same RSS figures of a bare idle `node -e` run alongside (bareNode), CPU (utime+stime from /proc/<pid>/stat),
// wakeups (times any of its threads was scheduled, and its main thread alone: field 3 of
// /proc/<pid>/task/<tid>/schedstat), inotify watches (the fdinfo of its inotify fd) and open fds.
// --watch-limit runs the daemon in a user namespace of its own whose inotify watch limit is N
// (/proc/sys/user/max_inotify_watches: the machine-wide sysctl is never touched) and prints what `status` says.
// --heap-snapshot writes a V8 heap snapshot of the idle daemon (SIGUSR2, --heapsnapshot-signal) to FILE.
import { spawn } from 'node:child_process';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  CLI, GIT_ENV, cleanupAll, createRepoWithWorktrees, makeTempDir, removeTempDir, runOk, sampleIdle, sleep, startFakeRavi, track, waitFor,
} from './lib.mjs';

// Run directly: parse the flags, print the figures as JSON. npm run bench imports measureFootprint().
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: flags } = parseArgs({
    options: {
      worktrees: { type: 'string', default: '100' },
      'idle-seconds': { type: 'string', default: '60' },
      'settle-seconds': { type: 'string', default: '30' }, // after the start-up pass, before the window: V8's memory reducer re-arms and runs its GCs for about 20 s after start, a one-off, not idle
      provider: { type: 'string', default: 'ravi' },
      'watch-limit': { type: 'string' },
      'heap-snapshot': { type: 'string' },
      cli: { type: 'string', default: CLI }, // another build, to compare
      'node-options': { type: 'string' }, // NODE_OPTIONS for the daemon only, e.g. --import=a-probe.mjs
      'daemon-env': { type: 'string', multiple: true }, // KEY=VALUE for the daemon only, e.g. MALLOC_ARENA_MAX=2
      strace: { type: 'string' }, // FILE: what the idle daemon's threads call, with times (strace -f -tt); skews the CPU figures
    },
  });
  try {
    console.log(JSON.stringify(await measureFootprint({ ...flags, worktrees: Number(flags.worktrees), idleSeconds: Number(flags['idle-seconds']) }), null, 2));
  } finally {
    await cleanupAll();
  }
}

/** The idle daemon's figures (see the header); `flags` as the command line's, by name. Temp folders stay for cleanupAll(). */
export async function measureFootprint({ worktrees, idleSeconds, log = (line) => process.stderr.write(`${line}\n`), ...flags }) {
  const cli = flags.cli ?? CLI;
  flags.provider ??= 'ravi';
  flags['settle-seconds'] ??= '30';

  const root = await makeTempDir('ravi-footprint-');
  const home = join(root, 'home');
  const stateDir = join(root, 'state');
  const configFile = join(root, 'ravi-orchestrator.config.json');
  log(`creating ${worktrees} worktrees`);
  const fixture = await createRepoWithWorktrees(root, worktrees);
  const server = flags.provider === 'ravi' ? await startFakeRavi(0) : null;
  const provider = server === null ? { kind: 'local' } : { kind: 'ravi', apiUrl: server.url, credentialsFile: join(root, 'credentials.json'), provisionPhone: true };
  if (server !== null) await writeFile(provider.credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const mail = server === null ? { mail: { smtpPort: 0, smsPort: 0 } } : {};
  await writeFile(configFile, JSON.stringify({ repos: [fixture.repo], provider, orphans: { grace: 0 }, ...mail }, null, 2));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: stateDir, ...GIT_ENV };
  log('provisioning them with a one-shot reconcile');
  await runOk(process.execPath, [cli, 'reconcile', '-c', configFile], { cwd: fixture.repo, env, timeoutMs: 600_000 });

  const snapshot = flags['heap-snapshot'];
  const nodeArgs = snapshot ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  const limit = flags['watch-limit'];
  const [command, args] = limit === undefined
    ? [process.execPath, [...nodeArgs, cli, 'daemon', '-c', configFile]]
    : ['unshare', ['-U', '-r', 'sh', '-c', `echo ${Number(limit)} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`, process.execPath, ...nodeArgs, cli, 'daemon', '-c', configFile]];
  const extraEnv = Object.fromEntries((flags['daemon-env'] ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const daemonEnv = { ...env, ...extraEnv, ...(flags['node-options'] ? { NODE_OPTIONS: flags['node-options'] } : {}) };
  const daemon = track(spawn(command, args, { cwd: root, env: daemonEnv, stdio: ['ignore', 'ignore', 'pipe'] }));
  // Bare Node, idle, started and sampled alongside: what any node process keeps resident on this machine and this
  // Node (above all the binary's own pages), beside which the daemon's figure is read.
  const bareNode = track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 2 ** 31 - 1)'], { env, stdio: 'ignore' }));
  let output = '';
  daemon.stderr.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const statusFile = join(stateDir, 'daemon-status.json');
  await waitFor(async () => {
    if (daemon.exitCode !== null) throw new Error(`the daemon exited ${daemon.exitCode}:\n${output}`);
    const status = JSON.parse(await readFile(statusFile, 'utf8').catch(() => 'null'));
    return status?.state === 'running' && status.queue.queued.length === 0 && status.queue.running.length === 0 && status.repos.every((r) => r.lastPass !== null);
  }, 'the daemon to finish its start-up pass', { timeoutMs: 300_000, everyMs: 100 });
  await sleep(Number(flags['settle-seconds']) * 1_000); // let start-up garbage settle
  const pid = daemon.pid;

  const tracer = flags.strace ? track(spawn('strace', ['-f', '-tt', '-o', flags.strace, '-p', String(pid)], { stdio: 'ignore' })) : null;
  const [idle, bare] = await Promise.all([sampleIdle(pid, idleSeconds), sampleIdle(bareNode.pid, idleSeconds)]);
  bareNode.kill('SIGTERM');
  if (tracer !== null) {
    tracer.kill('SIGINT');
    await new Promise((resolve) => tracer.once('exit', resolve));
  }
  const result = {
    worktrees, provider: provider.kind, idleSeconds, settleSeconds: Number(flags['settle-seconds']), node: process.version, ...idle,
    bareNode: { rssMb: bare.rssMb, anonMb: bare.anonMb, fileMb: bare.fileMb },
  };
  if (limit !== undefined) {
    result.status = JSON.parse(await readFile(statusFile, 'utf8')).watch ?? null;
    const text = await runOk(process.execPath, [cli, 'status', '-c', configFile], { cwd: fixture.repo, env }).catch((error) => ({ stdout: String(error) }));
    result.statusText = text.stdout.split('\n').filter((line) => /watch|inotify|sysctl/i.test(line));
  }
  if (flags['node-options']) {
    process.kill(pid, 'SIGWINCH'); // for a probe loaded with --node-options (ignored otherwise)
    await sleep(1_000);
  }
  if (snapshot) {
    const before = new Set(await readdir(root));
    process.kill(pid, 'SIGUSR2');
    const written = await waitFor(async () => (await readdir(root)).find((name) => !before.has(name) && name.endsWith('.heapsnapshot')), 'the heap snapshot', { timeoutMs: 120_000 });
    // Written in place: wait until its size holds still, then move it out of the temp folder.
    let size = -1;
    await waitFor(async () => {
      const now = (await stat(join(root, written))).size;
      const still = now === size && now > 0;
      size = now;
      return still;
    }, 'the heap snapshot to be written', { timeoutMs: 120_000, everyMs: 1_000 });
    await rename(join(root, written), snapshot);
    result.heapSnapshot = snapshot;
  }
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  await server?.close();
  await removeTempDir(root);
  return result;
}
