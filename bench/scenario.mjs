// A benchmark scenario: a temp folder with a real repo and its worktrees, a HOME holding Ravi credentials, a state
// dir, a config file, and the built CLI (dist/) run against it as whole processes; the daemon as a child process.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, FAKE_CLI, GIT_ENV, createRepoWithWorktrees, makeTempDir, resetWorktrees, run, sleepUnref, track, waitFor } from './lib.mjs';

export const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

export async function createScenario(worktreeCount, label, repoOptions = {}) {
  const root = await makeTempDir(`ravi-bench-${label}-`);
  log(`${label}: creating a repo with ${worktreeCount} worktrees${repoOptions.trackedFiles ? ` and ${repoOptions.trackedFiles} tracked files` : ''}`);
  const fixture = await createRepoWithWorktrees(root, worktreeCount, undefined, repoOptions);
  const home = join(root, 'home');
  await mkdir(join(home, '.ravi'), { recursive: true });
  const bin = join(root, 'bin');
  await mkdir(bin);
  // `ravi` on PATH for setup.sh: the fake CLI (one process and at most one HTTP call per invocation).
  await writeFile(join(bin, 'ravi'), `#!/bin/sh\nexec '${process.execPath}' '${FAKE_CLI}' "$@"\n`);
  await chmod(join(bin, 'ravi'), 0o755);
  return {
    root, home, bin, fixture,
    stateDir: join(root, 'state'),
    configFile: join(root, 'ravi-orchestrator.config.json'),
    credentialsFile: join(home, '.ravi', 'config.json'),
  };
}

/**
 * Writes the scenario's config: the ravi provider on `server` (a vault secret in every .env), or the local provider
 * when `server` is null. `quarantine: 0` lets a released identity be leased again at once (the lease path).
 */
export async function useServer(sc, server, { quarantine = '30m', concurrency } = {}) {
  const common = { repos: [sc.fixture.repo], orphans: { grace: 0 }, pool: { quarantine }, ...(concurrency ? { concurrency } : {}) };
  if (server === null) {
    await writeFile(sc.configFile, `${JSON.stringify({ ...common, provider: { kind: 'local' }, mail: { smtpPort: 0, smsPort: 0 } }, null, 2)}\n`);
    return;
  }
  await writeFile(sc.credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config = {
    ...common,
    provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: sc.credentialsFile, provisionPhone: true },
    env: { secrets: ['OPENAI_API_KEY'] },
    secrets: { vault: 'team-vault' },
  };
  await writeFile(sc.configFile, `${JSON.stringify(config, null, 2)}\n`);
}

export function orchestratorEnv(sc) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sc.home, RAVI_ORCHESTRATOR_STATE_DIR: sc.stateDir, ...GIT_ENV };
}

/** The built CLI as a whole process, in the main worktree unless `cwd` says otherwise. */
export function orchestrator(sc, args, { cwd = sc.fixture.repo, ...extra } = {}) {
  return run(process.execPath, [CLI, ...args, '-c', sc.configFile], { cwd, env: orchestratorEnv(sc), ...extra });
}

export async function orchestratorOk(sc, args, options) {
  const result = await orchestrator(sc, args, options);
  if (result.code !== 0) throw new Error(`ravi-orchestrator ${args.join(' ')} exited ${result.code}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  return result;
}

/** A complete managed .env: the block, the identity's email and phone (and the vault secret with the ravi provider). */
export function envComplete(text, { secrets = true } = {}) {
  return text.includes('# <<< ravi-orchestrator <<<') && /^AGENT_EMAIL=.+$/m.test(text) && /^AGENT_PHONE=.+$/m.test(text) && (!secrets || /^OPENAI_API_KEY=.+$/m.test(text));
}

export async function verifyEnvFiles(worktrees, options) {
  for (const worktree of worktrees) {
    const text = await readFile(join(worktree, '.env'), 'utf8').catch(() => '');
    if (!envComplete(text, options)) throw new Error(`${worktree}/.env is not complete after provisioning:\n${text}`);
  }
}

/** Back to "never provisioned": no env files, no .ravi/, no state dir. */
export async function freshStart(sc) {
  await resetWorktrees(sc.fixture);
  await rm(sc.stateDir, { recursive: true, force: true });
}

/** `lease.ended` lines of the audit trail (what `history --json` shows), by worktree path. */
export async function leasesEnded(sc) {
  const text = await readFile(join(sc.stateDir, 'audit', 'audit.jsonl'), 'utf8').catch(() => '');
  const ended = new Set();
  for (const line of text.split('\n')) {
    if (!line.includes('"lease.ended"')) continue;
    try {
      const record = JSON.parse(line);
      if (record.type === 'lease.ended' && record.worktree) ended.add(record.worktree);
    } catch {
      // a torn last line: the writer is mid-append
    }
  }
  return ended;
}

export function startDaemon(sc) {
  let output = '';
  const child = track(spawn(process.execPath, [CLI, 'daemon', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc), stdio: ['ignore', 'pipe', 'pipe'] }));
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    pid: child.pid,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, then SIGKILL after 15 s. Resolves the exit code (or signal). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleepUnref(15_000).then(() => 'timeout')]);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The daemon's queue is empty, every repo had a pass, and the API (when there is one) saw no call for `quietMs`. */
export async function waitDaemonIdle(sc, server, daemon, { quietMs = 300, timeoutMs = 600_000 } = {}) {
  let lastTotal = -1;
  let quietSince = performance.now();
  await waitFor(async () => {
    if (!daemon.alive()) throw new Error(`the daemon exited:\n${daemon.output()}`);
    const total = server === null ? 0 : (await server.stats()).total;
    if (total !== lastTotal) {
      lastTotal = total;
      quietSince = performance.now();
      return false;
    }
    const status = JSON.parse(await readFile(join(sc.stateDir, 'daemon-status.json'), 'utf8').catch(() => 'null'));
    const idle = status?.state === 'running' && status.queue.queued.length === 0 && status.queue.running.length === 0 && status.repos.every((r) => r.lastPass !== null);
    return idle && performance.now() - quietSince >= quietMs;
  }, 'the daemon to be idle', { timeoutMs, everyMs: 20 });
}
