/**
 * Running a worktree tool's hooks the way the tool does, against the built CLI (dist/) on PATH as
 * `ravi-orchestrator`, in a real temp repo with the local provider and a state dir of its own.
 * Each test says which shell, working directory, variables, stdin and time limit its tool uses.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'dotenv';
import { expect } from 'vitest';
import { createRepo, createTempDir, gitEnv, type TestRepo } from '../../support/git-fixtures.js';
import { CLI_PATH, runBuiltCli, type CliRun } from '../../support/cli.js';

export interface ToolWorld {
  readonly repo: TestRepo;
  readonly home: string;
  /** The folder holding our `ravi-orchestrator` (what the user's profile puts on PATH). */
  readonly bin: string;
  /** PATH with our `ravi-orchestrator` first, HOME, the state dir, git isolated: what the tool's process has. */
  readonly env: Record<string, string>;
  cli(args: readonly string[], cwd: string): Promise<CliRun>;
}

export async function toolWorld(name = 'app'): Promise<ToolWorld> {
  const repo = await createRepo({ name });
  const home = await createTempDir('ravi-tool-home-');
  const bin = await createTempDir('ravi-tool-bin-');
  // What `npm install -g` puts on PATH: a `ravi-orchestrator` that runs the built CLI.
  await writeFile(join(bin, 'ravi-orchestrator'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`);
  await chmod(join(bin, 'ravi-orchestrator'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };
  return { repo, home, bin, env, cli: (args, cwd) => runBuiltCli(args, { cwd, home }) };
}

export interface HookRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `shell -c command` (argv such as ['zsh', '-c'] or ['bash', '-lc']) in `cwd` with exactly `env`, `input` on
 * stdin (none: /dev/null, as gtr and worktrunk's background steps give), killed after `limitMs` when the tool has
 * a time limit.
 */
export async function runHook(shell: readonly string[], command: string, options: { cwd: string; env: Record<string, string>; input?: string; limitMs?: number }): Promise<HookRun> {
  const [program, ...flags] = shell;
  const result = await execa(program!, [...flags, command], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    reject: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.limitMs === undefined ? {} : { timeout: options.limitMs }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The worktree has its identity: AGENT_EMAIL in .env, `whoami` agrees, and `git status` shows nothing of ours. */
export async function expectProvisioned(world: ToolWorld, worktree: string): Promise<string> {
  const email = parse(await readFile(join(worktree, '.env'), 'utf8'))['AGENT_EMAIL'];
  expect(email).toMatch(/@agents\.localhost$/);
  const whoami = await world.cli(['whoami', '--json'], worktree);
  expect(whoami.exitCode, whoami.stderr).toBe(0);
  expect(JSON.parse(whoami.stdout)).toMatchObject({ email });
  expect(await world.repo.git('-C', worktree, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  return email!;
}

interface StatusRow {
  readonly worktree: string | null;
  readonly email: string | null;
  readonly env: string;
}

/**
 * The identity no longer serves that worktree: `whoami` there fails (while the folder exists), and `status`
 * shows neither a row of that worktree holding the address nor an orphan still holding it. Asserted through
 * the CLI only, so it holds whether a release deletes the identity or returns it to a pool.
 */
export async function expectReleased(world: ToolWorld, worktree: string, email: string): Promise<void> {
  if (existsSync(worktree)) {
    const whoami = await world.cli(['whoami', '--json'], worktree);
    expect(whoami.exitCode).not.toBe(0);
  }
  const status = await world.cli(['status', '--json'], world.repo.path);
  expect(status.exitCode, status.stderr).toBe(0);
  const rows = (JSON.parse(status.stdout) as { worktrees: StatusRow[] }).worktrees;
  const holding = rows.filter((row) => row.email === email && row.env !== 'released');
  expect(holding, JSON.stringify(rows)).toEqual([]);
}

/** Commits the files init wrote (if any), as the team would: new worktrees check them out. */
export async function commitAll(repo: TestRepo, message: string): Promise<void> {
  await repo.git('add', '-A');
  if ((await repo.git('status', '--porcelain')) !== '') await repo.git('commit', '-q', '-m', message);
}

/**
 * A login shell resets PATH from the system profile (Debian's /etc/profile does) and then reads the user's:
 * like a real user, ours puts the folder holding `ravi-orchestrator` (npm's global bin) on PATH there.
 */
export async function writeLoginProfile(world: ToolWorld): Promise<void> {
  const line = `export PATH="${world.bin}:$PATH"\n`;
  for (const file of ['.profile', '.bash_profile', '.zprofile']) await writeFile(join(world.home, file), line);
}
