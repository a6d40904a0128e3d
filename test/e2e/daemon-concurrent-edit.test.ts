/**
 * A person saving the .env while the daemon rewrites it: their lines are never lost.
 *
 * Editors (and fs.writeFile) save in place: open with O_TRUNC, then write, then close. In between the file is
 * empty, and the daemon, woken by the truncation, used to read that empty file, render our block alone and
 * rename it over: the editor's write then went to the old, unlinked inode and the user's lines were gone for
 * good (seen as a rare failure of daemon.test.ts under a loaded CI machine). The write step now reads an empty
 * file that was emptied moments ago again until the editor's bytes land, and reads once more just before its
 * rename (src/reconcile/apply-env.ts, src/files/atomic-write.ts). Here the editor holds the file empty on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { BLOCK_BEGIN, BLOCK_END } from '../../src/files/env-block.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

let repo: TestRepo;
beforeAll(async () => {
  repo = await createRepo({ name: 'edits' });
  const home = await createTempDir('ravi-concurrent-edit-home-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { vars: { AGENT_EMAIL: '{email}' } }, mail: { smtpPort: 0, smsPort: 0 } }));
  // A short quiet time: the daemon's pass starts while the editor still holds the file empty.
  startDaemonProcess({ cwd: repo.path, home, env: { RAVI_ORCHESTRATOR_DEBOUNCE_MS: '10' } });
  await waitFor(async () => (await readJsonFile<{ state: string }>(join(home, 'state', 'daemon-status.json')))?.state === 'running', 'the daemon to run');
});

const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;

describe('an in-place save racing the daemon', () => {
  it('keeps the lines an editor writes after truncating the file, and adds the block to them', async () => {
    const worktree = await repo.addWorktree('edited');
    const email = await waitFor(() => emailOf(worktree), 'the first .env');
    const file = join(worktree, '.env');
    for (const round of [1, 2, 3]) {
      const mine = `MINE=${round}\nALSO_MINE='kept ${round}'\n`;
      const fd = openSync(file, 'w'); // O_TRUNC: the daemon is told of a change and finds the file empty
      await sleep(80); // the editor, slow to write: longer than the daemon's quiet time and its pass
      writeSync(fd, mine);
      closeSync(fd);
      const text = await waitFor(async () => {
        const now = await readFile(file, 'utf8');
        return now.includes(BLOCK_BEGIN) ? now : null;
      }, `round ${round}: the block back in the file`);
      expect(text.startsWith(`${mine}${BLOCK_BEGIN}`), `round ${round}: ${text}`).toBe(true);
      expect(text.trimEnd().endsWith(BLOCK_END)).toBe(true);
      expect(parse(text)).toEqual({ MINE: String(round), ALSO_MINE: `kept ${round}`, AGENT_EMAIL: email });
    }
  });
});
