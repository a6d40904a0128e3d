import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv } from '../support/git-fixtures.js';
import { CLI_PATH, runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

/** Every process's argv on this machine, joined; what another local user could read in /proc. */
async function allCommandLines(): Promise<string> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return lines.join('\n');
}

describe.runIf(process.platform === 'linux')('secrets never appear in any process argv', () => {
  it('while secrets are set, reconciled into 8 worktrees and passed to exec', async () => {
    const secret = `sk-argv-${Date.now().toString(36)}-never-in-argv`;
    const repo = await createRepo({ name: 'argv' });
    const worktrees: string[] = [];
    for (let i = 0; i < 8; i += 1) worktrees.push(await repo.addWorktree(`wt-${i}`));
    const home = await createTempDir('ravi-argv-');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'default' } }));
    const env = { PATH: process.env.PATH ?? '', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };

    let sampling = true;
    let samples = 0;
    let leaked = false;
    const sampler = (async () => {
      while (sampling) {
        if ((await allCommandLines()).includes(secret)) leaked = true;
        samples += 1;
      }
    })();
    try {
      const set = await execa(process.execPath, [CLI_PATH, 'secrets', 'set', 'OPENAI_API_KEY'], { cwd: repo.path, env, extendEnv: false, input: secret });
      expect(set.exitCode).toBe(0);
      expect((await runBuiltCli(['reconcile', '--log-level', 'trace'], { cwd: repo.path, home })).exitCode).toBe(0);
      const exec = await runBuiltCli(['exec', '--', 'sh', '-c', 'sleep 0.3; test -n "$OPENAI_API_KEY"'], { cwd: worktrees[0] as string, home });
      expect(exec.exitCode).toBe(0);
    } finally {
      sampling = false;
      await sampler;
    }
    for (const args of [['status'], ['status', '--json'], ['plan', '--json'], ['reconcile', '--json', '--log-level', 'trace']]) {
      const run = await runBuiltCli(args, { cwd: repo.path, home });
      expect(run.stdout + run.stderr, args.join(' ')).not.toContain(secret);
    }
    expect(samples).toBeGreaterThan(5);
    expect(leaked).toBe(false);
    expect(await readFile(join(worktrees[3] as string, '.env'), 'utf8')).toContain(secret); // it did travel, by file
  });
});
