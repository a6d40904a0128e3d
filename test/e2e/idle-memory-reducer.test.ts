/**
 * A long-lived process goes idle after a burst of work, and V8's memory reducer then collects what the burst left
 * and stops waking it (src/util/memory-reducer.ts). On V8 13.1+ (Node 24) a process that never allocates on cppgc
 * never got there: the idle daemon and an idle MCP server woke every 8 s for good ("high alloc" at every tick) and
 * kept their memory. Each must reach the reducer's last GC, "(done)", within a few of its ticks. Earlier V8s keep
 * a floor under that rate and need nothing, so this runs where the fix does something: CI's Node 24 run.
 * The reducer's own trace (--trace-memory-reducer, on stdout) is the evidence; its first tick is brought forward
 * to 1 s, the next ones come every 8 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPromise } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { killAllDaemons, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { startMcpProcess } from '../support/mcp-process.js';
import { EMBEDDER_RATE_UNFLOORED } from '../../src/util/memory-reducer.js';

const TRACE = ['--trace-memory-reducer', '--gc-memory-reducer-start-delay-ms=1000'];
/** The reducer's last GC of a round: after it, no timer of its own wakes the process. */
const DONE = /Memory reducer: finished GC #\d+ \(done\)/;
/** Start-up tick, then two of 8 s (collect, then the second GC 0.6 s later), and slack for a loaded machine. */
const WITHIN_MS = 40_000;

let repo: TestRepo;
let home: string;
let worktree: string;
const children: ResultPromise[] = [];

beforeAll(async () => {
  repo = await createRepo({ name: 'idle-reducer' });
  worktree = await repo.addWorktree('agent-a');
  home = await createTempDir('ravi-idle-reducer-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort: 0, smsPort: 0 } }));
  expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => child.catch(() => {})));
  await killAllDaemons();
  await cleanupTempDirs();
});

describe.runIf(EMBEDDER_RATE_UNFLOORED).concurrent('V8 collects once a long-lived process is idle (V8 13.1+)', () => {
  it('the daemon, after its start-up pass', async () => {
    const daemon = startDaemonProcess({ cwd: repo.path, home, nodeArgs: TRACE });
    await waitFor(() => /daemon: pid \d+/.test(daemon.output()), 'the daemon to start');
    await waitFor(() => DONE.test(daemon.output()), 'the memory reducer to finish', WITHIN_MS);
    expect(await daemon.stop()).toBe(0);
  }, WITHIN_MS + 20_000);

  it('an MCP server, after answering a tool call', async () => {
    const mcp = await startMcpProcess({ cli: CLI_PATH, cwd: worktree, home, nodeArgs: TRACE });
    children.push(mcp.child);
    mcp.call(1, 'whoami');
    await waitFor(() => mcp.output().includes('"id":1'), 'the whoami answer');
    expect(mcp.output()).toMatch(/agents\.localhost/); // the tool answered with this worktree's identity
    await waitFor(() => DONE.test(mcp.output()), 'the memory reducer to finish', WITHIN_MS);
    expect(await mcp.end()).toBe(0);
  }, WITHIN_MS + 20_000);
});
