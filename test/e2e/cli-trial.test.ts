/**
 * What the trial of issue 14 found, each against the built CLI as a real process: pipes closed by the reader,
 * agent commands outside a worktree, `status` with no repo in reach, summaries that say what is true, secrets
 * typed at a terminal or empty, exec's exit codes and an eval-safe `env`.
 */
import { execa } from 'execa';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

let repo: TestRepo;
let home: string;
let worktree: string;
let outside: string;
const cli = (args: string[], cwd: string, input?: string) => runBuiltCli(args, { cwd, home, input });

beforeAll(async () => {
  repo = await createRepo({ name: 'trial' });
  worktree = await repo.addWorktree('feat/pipes');
  home = await createTempDir('ravi-trial-home-');
  outside = await createTempDir('ravi-trial-outside-');
  // Ports 0: a daemon of this file must not fight other tests (or a user's daemon) for 2525/2526.
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort: 0, smsPort: 0 } }));
  expect((await cli(['reconcile'], repo.path)).exitCode).toBe(0);
});

/** `command | reader` in bash: the CLI's own exit code and stderr, and what the reader printed. */
async function piped(args: string[], reader: string, cwd: string): Promise<{ exitCode: number; stderr: string; stdout: string }> {
  const errFile = join(home, `stderr-${Math.random().toString(36).slice(2)}`);
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const run = await execa('bash', ['-c', `"$0" "$1" ${quoted} 2>"$2" | ${reader}; echo "exit=\${PIPESTATUS[0]}"`, process.execPath, CLI_PATH, errFile], {
    cwd,
    env: isolatedEnv(home),
    extendEnv: false,
  });
  const exitCode = Number(/exit=(\d+)\s*$/.exec(run.stdout)?.[1] ?? -1);
  return { exitCode, stderr: await readFile(errFile, 'utf8'), stdout: run.stdout.replace(/exit=\d+\s*$/, '') };
}

describe('a reader that closes the pipe', () => {
  it('ends a read-only command quietly with exit 0: a reader that is gone before the first write', async () => {
    // `true` exits at once, so every write meets a closed pipe (EPIPE): before the fix, a stack trace and exit 1.
    for (const [args, cwd] of [[['status'], repo.path], [['env'], worktree], [['inbox'], worktree], [['whoami'], worktree], [['help'], outside]] as const) {
      const run = await piped([...args], 'true', cwd);
      expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toEqual({ args, exitCode: 0, stderr: '' });
    }
  });

  it('ends quietly with exit 0 under head, run after run', async () => {
    for (let i = 0; i < 4; i++) {
      for (const [args, reader, cwd] of [[['status'], 'head -1', repo.path], [['env'], 'head -1', worktree], [['inbox'], 'head -c 10', worktree]] as const) {
        const run = await piped([...args], reader, cwd);
        expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toEqual({ args, exitCode: 0, stderr: '' });
        expect(run.stdout.length).toBeGreaterThan(0);
      }
    }
  });

  it('lets a command that changes things finish its work, with its own exit code', async () => {
    const fresh = await repo.addWorktree('feat/finish');
    const run = await piped(['reconcile', '--worktree', fresh], 'true', fresh);
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await readFile(join(fresh, '.env'), 'utf8')).toMatch(/AGENT_EMAIL='ws-trial-feat-finish@agents\.localhost'/);
  });
});

describe('agent commands outside a worktree', () => {
  it.each([['whoami'], ['inbox'], ['otp'], ['link'], ['env'], ['exec', '--', 'true']])('%s says to cd into a worktree or pass --worktree (exit 64)', async (...args) => {
    const run = await cli(args, outside);
    expect(run.exitCode).toBe(64);
    expect(run.stderr).toMatch(/is not in a git worktree\. .* works on the worktree it runs in: cd into a worktree, or pass --worktree PATH/);
    expect(run.stderr).not.toMatch(/--repo/);
  });

  it('says the same when a config in reach lists repos, and works with --worktree', async () => {
    await writeFile(join(outside, 'ravi-orchestrator.config.json'), JSON.stringify({ repos: [repo.path] }));
    try {
      expect((await cli(['whoami'], outside)).stderr).toMatch(/cd into a worktree, or pass --worktree PATH/);
      const named = await cli(['whoami', '--worktree', worktree, '--json'], outside);
      expect(named.exitCode, named.stderr).toBe(0);
      expect(JSON.parse(named.stdout)).toMatchObject({ name: 'ws-trial-feat-pipes', worktree });
      expect((await cli(['whoami', '--worktree', outside], outside)).stderr).toMatch(/--worktree .*: .* is not in a git worktree/);
    } finally {
      await writeFile(join(outside, 'ravi-orchestrator.config.json'), '{}');
    }
  });
});

describe('status with no repo in reach', () => {
  it('shows every repo the state dir manages', async () => {
    const run = await cli(['status', '--json'], outside);
    expect(run.exitCode, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as { repos: string[]; worktrees: Array<{ worktree: string; identity: string }> };
    expect(status.repos).toEqual([repo.path]);
    expect(status.worktrees.map((w) => w.worktree)).toContain(worktree);
    expect((await cli(['status'], outside)).stdout).toMatch(/ws-trial-feat-pipes\s+ws-trial-feat-pipes@agents\.localhost/);
  });

  it('says what to do when the state dir manages nothing yet', async () => {
    const empty = await createTempDir('ravi-trial-empty-home-');
    const run = await runBuiltCli(['status'], { cwd: outside, home: empty });
    expect(run.exitCode).toBe(64);
    expect(run.stderr).toMatch(/No repository here, and the state dir .* manages none yet: cd into a repo, pass --repo PATH, or set repos in a config/);
  });
});

describe('summaries say what is true', () => {
  it('plan over configured repos that do not exist says so, and exits 1', async () => {
    const dir = await createTempDir('ravi-trial-missing-');
    const config = join(dir, 'ravi-orchestrator.config.json');
    await writeFile(config, JSON.stringify({ repos: [join(dir, 'gone-a'), join(dir, 'gone-b')] }));
    const run = await cli(['plan', '--config', config], dir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).not.toMatch(/Every managed worktree is in sync/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Not in sync: 2 problems above; 2 configured repos do not exist \(.*gone-a, .*gone-b\)\. Plan for the rest: 0 to create/);
    expect(JSON.parse((await cli(['plan', '--config', config, '--json'], dir)).stdout)).toMatchObject({ inSync: false, missingRepos: [join(dir, 'gone-a'), join(dir, 'gone-b')] });
  });

  it('status in a repo the running daemon does not watch says so, and why its worktrees stay pending', async () => {
    const other = await createRepo({ name: 'unwatched' });
    const pending = await other.addWorktree('feat/waiting');
    const daemon = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(async () => (await readJsonFile<{ state: string; pid: number }>(join(home, 'state', 'daemon-status.json')))?.state === 'running', 'the daemon to run');
    try {
      const json = JSON.parse((await cli(['status', '--json'], other.path)).stdout) as {
        daemon: { running: boolean; unwatched: string[] };
        worktrees: Array<{ worktree: string; env: string; watchedByDaemon: boolean; detail: string }>;
      };
      expect(json.daemon).toMatchObject({ running: true, unwatched: [other.path] });
      expect(json.worktrees.find((w) => w.worktree === pending)).toMatchObject({ env: 'pending', watchedByDaemon: false, detail: expect.stringMatching(/the daemon does not watch this repo: run `ravi-orchestrator reconcile`/) });
      const text = (await cli(['status'], other.path)).stdout;
      expect(text).toMatch(/^daemon: running/);
      expect(text).toMatch(/^ {2}! not watching .*unwatched \(its config is .*\): run `ravi-orchestrator reconcile` there, or add it to the daemon's repos and restart it$/m);
      // The repo it does watch is not flagged.
      expect(JSON.parse((await cli(['status', '--json'], repo.path)).stdout).daemon.unwatched).toEqual([]);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});

describe('secrets', () => {
  it('refuses an empty value from stdin unless --allow-empty, and stores nothing', async () => {
    const run = await cli(['secrets', 'set', 'EMPTY_ONE'], repo.path, '');
    expect(run.exitCode).toBe(64);
    expect(run.stderr).toMatch(/No value for EMPTY_ONE: the input was empty, so nothing was stored.*--allow-empty/);
    expect((await cli(['secrets', 'list'], repo.path)).stdout).not.toContain('EMPTY_ONE');
    expect((await cli(['secrets', 'set', 'EMPTY_ONE'], repo.path, '\n')).exitCode).toBe(64); // just echo's newline
    expect((await cli(['secrets', 'set', 'EMPTY_ONE', '--allow-empty'], repo.path, '')).exitCode).toBe(0);
    expect((await cli(['secrets', 'list'], repo.path)).stdout).toContain('EMPTY_ONE');
  });

  it('at a terminal, prompts and reads the value without echoing it', async () => {
    // script(1) gives the CLI a real pty; the value is typed only once the prompt is on screen.
    const child = execa('script', ['-qec', `"${process.execPath}" "${CLI_PATH}" secrets set TYPED_KEY`, '/dev/null'], {
      cwd: repo.path, env: isolatedEnv(home), extendEnv: false, reject: false,
    });
    let screen = '';
    child.stdout?.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    await waitFor(() => screen.includes('Value for TYPED_KEY (input hidden; Enter ends): '), 'the prompt');
    const typedAt = screen.length;
    child.stdin?.write('s3cret-typed\r');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(screen.slice(typedAt)).not.toContain('s3cret-typed');
    expect(screen).toMatch(/Stored TYPED_KEY in vault "default"/);
    expect((await cli(['secrets', 'get', 'TYPED_KEY'], repo.path)).stdout).toBe('s3cret-typed');
  });

  it('env.secrets without secrets.vault reads the local vault "default", where `secrets set` writes', async () => {
    const dir = await createRepo({ name: 'vaulted' });
    const wt = await dir.addWorktree('feat/vault');
    await writeFile(join(dir.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { secrets: ['SHARED_TOKEN'] } }));
    expect((await cli(['secrets', 'set', 'SHARED_TOKEN'], dir.path, 'tok-123\n')).exitCode).toBe(0);
    const run = await cli(['reconcile'], dir.path);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(join(wt, '.env'), 'utf8')).toContain("SHARED_TOKEN='tok-123'");
  });
});

describe('exec and env as the shell sees them', () => {
  it('exec exits 127 for a missing program and 126 for one that cannot run, as sh does', async () => {
    const missing = await cli(['exec', '--', 'no-such-program-ravi'], worktree);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/no-such-program-ravi: command not found/);
    const script = join(outside, 'not-executable.sh');
    await writeFile(script, '#!/bin/sh\necho hi\n');
    await chmod(script, 0o644);
    expect((await cli(['exec', '--', script], worktree)).exitCode).toBe(126);
    expect((await cli(['exec', '--', outside], worktree)).exitCode).toBe(126); // a folder
    expect((await cli(['exec', '--', 'sh', '-c', 'exit 7'], worktree)).exitCode).toBe(7);
    expect((await cli(['exec', '--', 'sh', '-c', 'kill -TERM $$'], worktree)).exitCode).toBe(128 + 15);
  });

  it('exec passes a SIGTERM meant for it on to the program and exits as the program did', async () => {
    const child = execa(process.execPath, [CLI_PATH, 'exec', '--', 'sh', '-c', 'trap "exit 9" TERM; echo ready; while :; do sleep 0.05; done'], {
      cwd: worktree, env: isolatedEnv(home), extendEnv: false, reject: false,
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => out.includes('ready'), 'the program to start');
    child.kill('SIGTERM'); // to ravi-orchestrator only, as `timeout` or a service manager would send it
    const result = await child;
    expect(result.signal ?? null).toBeNull();
    expect(result.exitCode).toBe(9);
  });

  it('env --reveal is eval-safe in bash for hostile values; --json stays the machine form', async () => {
    const hostile = `it's $(touch pwned) \`touch pwned2\` ; echo "x" * \\ \n second line $HOME`;
    const dir = await createRepo({ name: 'hostile' });
    const wt = await dir.addWorktree('feat/eval');
    // Secrets stay off disk (no .env quoting involved): env is the only way they reach a shell here.
    await writeFile(join(dir.path, 'ravi-orchestrator.config.json'), JSON.stringify({
      env: { secrets: ['HOSTILE'], writeSecrets: false, vars: { AGENT_EMAIL: '{email}', QUOTED: "it's here" } },
    }));
    expect((await cli(['secrets', 'set', 'HOSTILE'], dir.path, hostile)).exitCode).toBe(0);
    const reconcile = await cli(['reconcile'], dir.path);
    expect(reconcile.exitCode, reconcile.stdout + reconcile.stderr).toBe(0);
    const shell = await execa('bash', ['-c', 'set -e; eval "$("$0" "$1" env --reveal)"; printf "%s|%s|%s" "$HOSTILE" "$QUOTED" "$AGENT_EMAIL"', process.execPath, CLI_PATH], {
      cwd: wt, env: isolatedEnv(home), extendEnv: false,
    });
    expect(shell.stdout).toBe(`${hostile}|it's here|ws-hostile-feat-eval@agents.localhost`);
    expect(existsSync(join(wt, 'pwned')) || existsSync(join(wt, 'pwned2'))).toBe(false);
    const masked = await cli(['env'], wt);
    expect(masked.stdout).toContain("HOSTILE='********'"); // a bare ******** would glob in eval
    expect(JSON.parse((await cli(['env', '--reveal', '--json'], wt)).stdout).variables.HOSTILE).toBe(hostile);
  });
});
