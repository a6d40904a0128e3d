/**
 * apply's last checks before a write share their looks at the repo's files for the phase, info/exclude's text
 * included (src/reconcile/apply-ignore.ts, WriteCheckLooks). A check that appends to info/exclude renews them:
 * a later check must see the line it added, not the text shared from before (real repo, real worktree).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo } from '../support/git-fixtures.js';
import { WriteCheckLooks, assertWritable } from '../../src/reconcile/apply-ignore.js';
import { analyzeIgnore } from '../../src/git/ignore-fast-path.js';
import { TEMP_FILES_EXCLUDE, tempFileExample } from '../../src/files/temp-files.js';

afterAll(cleanupTempDirs);

describe('WriteCheckLooks', () => {
  it('shares info/exclude within the phase and renews it when a check appends to it', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('wt-1');
    const exclude = join(repo.commonDir, 'info', 'exclude');
    await appendFile(exclude, '/.env\n'); // the env file is ignored; its temp files are not yet
    const probe = tempFileExample('.env');
    const looks = new WriteCheckLooks();

    // The phase's first look at info/exclude: no line for our temp files yet.
    expect((await analyzeIgnore(worktree, [probe], looks)).ignored.has(probe)).toBe(false);
    // A line appended by someone else is not seen within the phase: the text is shared (what saves the reads).
    await appendFile(exclude, '# unrelated\n');
    expect((await analyzeIgnore(worktree, ['.env'], looks)).ignored.has('.env')).toBe(true);

    // The check before a write appends the temp files' line itself (nothing in `excluded` says it is there)...
    await assertWritable(undefined, repo.commonDir, worktree, '.env', { excluded: new Map(), looks });
    expect((await readFile(exclude, 'utf8')).split('\n')).toContain(TEMP_FILES_EXCLUDE);
    // ...and every later check rests on the file as it is now.
    expect((await analyzeIgnore(worktree, [probe], looks)).ignored.has(probe)).toBe(true);
  });

  it('a check that appends nothing keeps the shared looks', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('wt-1');
    const exclude = join(repo.commonDir, 'info', 'exclude');
    await appendFile(exclude, `/.env\n${TEMP_FILES_EXCLUDE}\n`);
    const looks = new WriteCheckLooks();
    expect((await analyzeIgnore(worktree, ['.env'], looks)).ignored.has('.env')).toBe(true);
    await assertWritable(undefined, repo.commonDir, worktree, '.env', { excluded: new Map(), looks });
    // Removed behind the phase's back: the shared text still has it (the check right before the write saw it there).
    await appendFile(exclude, '!/.env\n');
    expect((await analyzeIgnore(worktree, ['.env'], looks)).ignored.has('.env')).toBe(true);
    looks.renew();
    expect((await analyzeIgnore(worktree, ['.env'], looks)).ignored.has('.env')).toBe(false);
  });
});
