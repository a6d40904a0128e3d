/** Two state dirs and one repo, with the real CLI and daemon: the second is refused, loudly, and changes nothing. */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { runBuiltCli } from '../support/cli.js';
import { killAllDaemons, startDaemonProcess, waitFor } from '../support/daemon-process.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a repo managed by one state dir', () => {
  it('refuses `reconcile --state-dir other` (exit 1, naming the owner and the handover), and a second daemon whose mail port is taken does not start', async () => {
    const repo = await createRepo({ name: 'owned' });
    const worktree = await repo.addWorktree('wt');
    const home = await createTempDir('ravi-owner-home-');
    const [smtpPort, smsPort] = [await freePort(), await freePort()];
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort, smsPort } }));
    const daemon = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(async () => (await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).includes('AGENT_EMAIL'), 'the first daemon to provision');
    const env = await readFile(join(worktree, '.env'), 'utf8');

    const other = join(home, 'other-state');
    const oneShot = await runBuiltCli(['reconcile', '--state-dir', other], { cwd: repo.path, home });
    expect(oneShot.exitCode).toBe(1);
    expect(oneShot.stdout).toMatch(new RegExp(`is managed by the state dir ${join(home, 'state')} .*disown`));
    expect(await readFile(join(worktree, '.env'), 'utf8')).toBe(env);

    const second = startDaemonProcess({ cwd: repo.path, home, env: { RAVI_ORCHESTRATOR_STATE_DIR: other } });
    const result = await second.child;
    expect(result.exitCode).toBe(1);
    expect(second.output()).toMatch(new RegExp(`local mail servers could not start on 127\\.0\\.0\\.1 \\(SMTP ${smtpPort}, SMS ${smsPort}\\).*set mail\\.smtpPort`, 's'));
    expect(await readFile(join(worktree, '.env'), 'utf8')).toBe(env);
    expect(await daemon.stop()).toBe(0);
  });
});
