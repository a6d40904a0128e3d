/**
 * The long-lived processes, the daemon and an agent's MCP server, run without V8's optimizing compilers
 * (src/util/optimizing-compilers.ts): their code pages would stay in the idle process's RSS for good. V8's own trace
 * (--trace-opt, on stdout) is the evidence, beside a control: the same work without the flags does optimize, so a
 * trace with no compile says something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv } from '../support/cli.js';
import { killAllDaemons, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { startMcpProcess } from '../support/mcp-process.js';

const BIN = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
const FLAGS_MODULE = fileURLToPath(new URL('../../dist/util/optimizing-compilers.js', import.meta.url));
const WORKTREES = 12;
const CALLS = 300;

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

/** A repo of WORKTREES fresh worktrees on the local provider, and a HOME of its own. */
async function freshRepo(name: string): Promise<{ repo: TestRepo; home: string; worktrees: string[] }> {
  const repo = await createRepo({ name });
  const worktrees: string[] = [];
  for (let i = 0; i < WORKTREES; i++) worktrees.push(await repo.addWorktree(`agent-${i}`));
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort: 0, smsPort: 0 } }));
  return { repo, home: await createTempDir(`ravi-${name}-home-`), worktrees };
}

/** The functions a trace shows compiled with Maglev or TurboFan. */
function optimized(trace: string): Set<string> {
  return new Set([...trace.matchAll(/\[compiling method \S+ <JSFunction (\S*)[^\n]*\(target (?:MAGLEV|TURBOFAN)/g)].map((m) => m[1] as string));
}

/**
 * What a process of the bin optimizes before the bin could set any flag: Node's own start resolving the bin, and
 * `version`, which the bin answers from package.json without the program (on Node 24, Node's isPosixPathSeparator
 * reaches Maglev there, or not, with the length of the paths involved). Run where the process under test runs.
 */
async function nodeStart(where: { repo: TestRepo; home: string }, cwd = where.repo.path): Promise<string> {
  const result = await execa(process.execPath, ['--trace-opt', BIN, 'version'], { cwd, env: isolatedEnv(where.home), extendEnv: false, reject: false });
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

const provisioned = async (worktree: string) => (await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).includes('AGENT_EMAIL=');

describe('the daemon runs without optimizing compilers', () => {
  let control: Awaited<ReturnType<typeof freshRepo>>;
  let daemonRepo: Awaited<ReturnType<typeof freshRepo>>;
  beforeAll(async () => {
    [control, daemonRepo] = await Promise.all([freshRepo('opt-control'), freshRepo('opt-daemon')]);
  });

  it('started through the bin, its start-up pass compiles nothing with Maglev or TurboFan beyond what Node\'s own start did; a one-shot pass of the same work does', async () => {
    const oneShot = await execa(process.execPath, ['--trace-opt', BIN, 'reconcile'], { cwd: control.repo.path, env: isolatedEnv(control.home), extendEnv: false, reject: false });
    expect(oneShot.exitCode).toBe(0);
    // The control: this much work is hot enough to optimize, beyond Node's start.
    const controlStart = optimized(await nodeStart(control));
    expect([...optimized(oneShot.stdout)].filter((name) => !controlStart.has(name))).not.toEqual([]);

    const daemon = startDaemonProcess({ cwd: daemonRepo.repo.path, home: daemonRepo.home, cli: BIN, nodeArgs: ['--trace-opt'] });
    await waitFor(async () => (await Promise.all(daemonRepo.worktrees.map(provisioned))).every(Boolean), 'the start-up pass to provision every worktree');
    expect(await daemon.stop()).toBe(0);
    expect(daemon.output()).toMatch(/daemon: pid \d+/);
    const start = optimized(await nodeStart(daemonRepo));
    expect([...optimized(daemon.output())].filter((name) => !start.has(name))).toEqual([]);
  }, 60_000);

  it('started from the program\'s entry (cli/main.js, no bin: a service installed by an earlier version), it compiles nothing beyond what loading the program did', async () => {
    const fresh = await freshRepo('opt-service');
    const env = isolatedEnv(fresh.home);
    // What loading the program and parsing a daemon command line optimizes (Node 24: two of Node's path functions).
    const loading = await execa(process.execPath, ['--trace-opt', CLI_PATH, 'daemon', '--help'], { cwd: fresh.repo.path, env, extendEnv: false, reject: false });
    expect(loading.exitCode).toBe(0);
    const daemon = startDaemonProcess({ cwd: fresh.repo.path, home: fresh.home, nodeArgs: ['--trace-opt'] });
    await waitFor(async () => (await Promise.all(fresh.worktrees.map(provisioned))).every(Boolean), 'the start-up pass to provision every worktree');
    expect(await daemon.stop()).toBe(0);
    const beyond = [...optimized(daemon.output())].filter((name) => !optimized(loading.stdout).has(name));
    expect(beyond).toEqual([]);
  }, 60_000);

  it('an MCP server started through the bin answers hundreds of tool calls without compiling anything with Maglev or TurboFan beyond what Node\'s own start did', async () => {
    const fresh = await freshRepo('opt-mcp');
    expect((await execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: fresh.repo.path, env: isolatedEnv(fresh.home), extendEnv: false, reject: false })).exitCode).toBe(0);
    const worktree = fresh.worktrees[0] as string;
    const mcp = await startMcpProcess({ cli: BIN, cwd: worktree, home: fresh.home, nodeArgs: ['--trace-opt'] });
    // As many calls as make a one-shot pass's functions hot (checked: without the flags, Maglev compiles within them).
    for (let id = 1; id <= CALLS; id++) mcp.call(id, 'whoami');
    await waitFor(() => mcp.output().includes(`"id":${CALLS}`), 'the last whoami answer');
    expect(await mcp.end()).toBe(0);
    const out = mcp.output();
    expect(out).toMatch(/agents\.localhost/); // the calls were answered with the worktree's identity
    const start = optimized(await nodeStart(fresh, worktree));
    expect([...optimized(out)].filter((name) => !start.has(name))).toEqual([]);
  }, 60_000);

  it('optimizing-compilers.ts turns them off at run time, on this Node: a hot function stays unoptimized', async () => {
    // %GetOptimizationStatus bit 4 (16): optimized code (Maglev or TurboFan), V8's runtime-test.cc.
    const probe = (turnOff: boolean) => `
      import { runWithoutOptimizingCompilers } from ${JSON.stringify(FLAGS_MODULE)};
      if (${turnOff}) runWithoutOptimizingCompilers();
      function hot(values) { let sum = 0; for (const value of values) sum += value * 2; return sum; }
      const values = Array.from({ length: 64 }, (_, i) => i);
      let optimized = false;
      for (let i = 0; i < 200000 && !optimized; i++) { hot(values); optimized = (%GetOptimizationStatus(hot) & 16) !== 0; }
      console.log(JSON.stringify({ optimized }));`;
    const run = async (turnOff: boolean) => {
      const result = await execa(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', probe(turnOff)], { reject: false });
      expect(result.stderr).toBe('');
      return JSON.parse(result.stdout) as { optimized: boolean };
    };
    expect(await run(false)).toEqual({ optimized: true }); // the control
    expect(await run(true)).toEqual({ optimized: false });
  }, 30_000);
});
