/**
 * The daemon runs without V8's optimizing compilers (src/daemon/heap.ts): their code pages would stay in its idle
 * RSS for good. V8's own trace (--trace-opt, on stdout) is the evidence. Beside each check, its control: the same
 * work without the flags does optimize, so a trace with no compile says something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv } from '../support/cli.js';
import { killAllDaemons, startDaemonProcess, waitFor } from '../support/daemon-process.js';

const BIN = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
const HEAP = fileURLToPath(new URL('../../dist/daemon/heap.js', import.meta.url));
/** A function V8 starts compiling with Maglev or TurboFan (--trace-opt), Node 20 to 24. */
const OPTIMIZING = /\[compiling method .*\(target (MAGLEV|TURBOFAN)/;
const WORKTREES = 12;

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

const provisioned = async (worktree: string) => (await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).includes('AGENT_EMAIL=');

describe('the daemon runs without optimizing compilers', () => {
  let control: Awaited<ReturnType<typeof freshRepo>>;
  let daemonRepo: Awaited<ReturnType<typeof freshRepo>>;
  beforeAll(async () => {
    [control, daemonRepo] = await Promise.all([freshRepo('opt-control'), freshRepo('opt-daemon')]);
  });

  it('started through the bin, its start-up pass compiles nothing with Maglev or TurboFan; a one-shot pass of the same work does', async () => {
    const oneShot = await execa(process.execPath, ['--trace-opt', BIN, 'reconcile'], { cwd: control.repo.path, env: isolatedEnv(control.home), extendEnv: false, reject: false });
    expect(oneShot.exitCode).toBe(0);
    expect(oneShot.stdout).toMatch(OPTIMIZING); // the control: this much work is hot enough to optimize

    const daemon = startDaemonProcess({ cwd: daemonRepo.repo.path, home: daemonRepo.home, cli: BIN, nodeArgs: ['--trace-opt'] });
    await waitFor(async () => (await Promise.all(daemonRepo.worktrees.map(provisioned))).every(Boolean), 'the start-up pass to provision every worktree');
    expect(await daemon.stop()).toBe(0);
    expect(daemon.output()).toMatch(/daemon: pid \d+/);
    expect(daemon.output()).not.toMatch(OPTIMIZING);
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

  it('heap.ts turns them off at run time, on this Node: a hot function stays unoptimized', async () => {
    // %GetOptimizationStatus bit 4 (16): optimized code (Maglev or TurboFan), V8's runtime-test.cc.
    const probe = (turnOff: boolean) => `
      import { runWithoutOptimizingCompilers } from ${JSON.stringify(HEAP)};
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
