/**
 * Port blocks under kill -9: the real CLI is killed at random moments while it assigns and releases
 * blocks over churning worktrees; after each clean pass no port is in two blocks and every .env names
 * exactly its worktree's recorded block.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { PortLedger } from '../../src/ports/port-ledger.js';
import { freePortRange } from '../support/free-ports.js';

afterAll(cleanupTempDirs);

const ITERATIONS = Number(process.env.PORTS_CRASH_ITERATIONS ?? 15);

describe('port blocks under kill -9', () => {
  it(`${ITERATIONS} killed reconciles over churning worktrees never give one port to two worktrees`, async () => {
    const repo = await createRepo({ name: 'portcrash' });
    const home = await createTempDir('ravi-ports-crash-');
    const [first, last] = await freePortRange(200);
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({
      ports: { perWorktree: 2, range: `${first}-${last}` }, env: { vars: { PORT: '{port}', API_PORT: '{port:1}' } }, orphans: { grace: 0 }, mail: { enabled: false },
    }));
    const live = new Set<string>();
    let serial = 0;
    const add = async () => live.add(await repo.addWorktree(`w-${serial++}`));
    for (let i = 0; i < 8; i++) await add();
    let kills = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      for (const path of [...live].sort(() => Math.random() - 0.5).slice(0, 2)) {
        await repo.removeWorktree(path, { force: true });
        live.delete(path);
      }
      await add();
      await add();
      const child = execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: repo.path, env: isolatedEnv(home), extendEnv: false, reject: false });
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 300));
      const result = await child;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') kills++;
      const clean = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
      expect(clean.exitCode, `iteration ${iteration}: ${clean.stdout}${clean.stderr}`).toBe(0);

      const blocks = [...(await PortLedger.open(join(home, 'state'))).state().blocks.values()];
      const ports = blocks.flatMap((b) => Array.from({ length: b.size }, (_, i) => b.first + i));
      expect(new Set(ports).size, `iteration ${iteration}: a port in two blocks`).toBe(ports.length);
      expect(new Set(blocks.map((b) => b.worktreePath)), `iteration ${iteration}: one block per live worktree`).toEqual(live);
      for (const path of live) {
        const env = parse(await readFile(join(path, '.env'), 'utf8'));
        const mine = blocks.find((b) => b.worktreePath === path);
        expect([Number(env.PORT), Number(env.API_PORT)], `iteration ${iteration}: ${path}`).toEqual([mine?.first, (mine?.first ?? 0) + 1]);
      }
    }
    expect(kills).toBeGreaterThan(0);
  }, 600_000);
});
