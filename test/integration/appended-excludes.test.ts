/**
 * A repo's first pass appends our lines to info/exclude, then writes every worktree's .env. observe() has already
 * proved, per worktree, that git will ignore the file once info/exclude ends with a line covering it (no .gitignore
 * on the way could un-ignore it, the index holds none of it); apply's last check before the write takes that proof
 * with the lines it appended instead of proving each worktree again (src/reconcile/apply-ignore.ts). Anything short
 * of that exact case is proved again, and refused when git would not ignore the file (real repo and worktrees).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, type TestRepo } from '../support/git-fixtures.js';
import { appendExcludes, checkIgnored, checkIgnoredByGit } from '../../src/git/ignore.js';
import { assertWritable, WriteCheckLooks } from '../../src/reconcile/apply-ignore.js';
import type { WorktreeLookup } from '../../src/reconcile/apply.js';
import { TEMP_FILES_EXCLUDE, tempFileExample } from '../../src/files/temp-files.js';

afterAll(cleanupTempDirs);

const ENV = '.env';
const PROBE = tempFileExample(ENV);

/** What observe() records of a worktree's files (observe.ts, readWorktreeFiles): the planning check of both paths. */
async function observed(worktree: string): Promise<WorktreeLookup> {
  const ignore = await checkIgnored(worktree, [ENV, PROBE], { forPlanning: true });
  // assertWritable reads only the observed ignore status of the lookup.
  return { observed: { ignore: { ok: true, value: ignore } } } as unknown as WorktreeLookup;
}

async function firstPass(): Promise<{ repo: TestRepo; wt: string; found: WorktreeLookup; appended: readonly string[] }> {
  const repo = await createRepo({ name: 'app' });
  await repo.commitFile('.gitignore', 'node_modules/\n');
  const wt = await repo.addWorktree('feat/a');
  const found = await observed(wt);
  const appended = await appendExcludes(repo.commonDir, [`/${ENV}`, TEMP_FILES_EXCLUDE]); // apply's ensure-excluded step
  return { repo, wt, found, appended };
}

const write = (found: WorktreeLookup, commonDir: string, wt: string, appended?: ReadonlyMap<string, readonly string[]>) =>
  assertWritable(found, commonDir, wt, ENV, { excluded: new Map([[commonDir, new Set([`/${ENV}`, TEMP_FILES_EXCLUDE])]]), appended, looks: new WriteCheckLooks() });

describe("a repo's first pass: the lines it appended settle what observe() proved", () => {
  it('observe() proves both paths ignored once excluded, and git agrees after the append', async () => {
    const { repo, wt, found, appended } = await firstPass();
    const ignore = found.observed.ignore;
    expect(ignore?.ok === true ? ignore.value.ignoredOnceExcluded : undefined).toEqual({ commonDir: repo.commonDir, paths: new Set([ENV, PROBE]) });
    expect(appended).toEqual([`/${ENV}`, TEMP_FILES_EXCLUDE]);
    const byGit = await checkIgnoredByGit(wt, [ENV, PROBE]);
    expect(Object.fromEntries(byGit.ignored)).toEqual({ [ENV]: true, [PROBE]: true });
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, appended]]))).resolves.toBeUndefined();
  });

  // A .gitignore line added after observe() read the worktree is what only a second proof would see: each case
  // below shows whether the check took observe's proof (resolves) or proved again (refuses).
  it('takes the proof only with the lines appended to that same info/exclude, covering the file', async () => {
    const { repo, wt, found, appended } = await firstPass();
    await writeFile(join(wt, '.gitignore'), 'node_modules/\n!.env\n');
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, appended]]))).resolves.toBeUndefined();
    // Without the lines appended by this pass (they were there already, or another process put them): proved again.
    await expect(write(found, repo.commonDir, wt)).rejects.toThrow(/re-includes it/);
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, []]]))).rejects.toThrow(/re-includes it/);
    // Lines appended to another repo's info/exclude, or lines that do not cover the file: proved again.
    await expect(write(found, repo.commonDir, wt, new Map([[join(repo.root, 'other.git'), appended]]))).rejects.toThrow(/re-includes it/);
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, ['/.ravi/', TEMP_FILES_EXCLUDE]]]))).rejects.toThrow(/re-includes it/);
    // An appended negation after ours could un-ignore it: proved again.
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, [...appended, '!.env']]]))).rejects.toThrow(/re-includes it/);
  });

  it('proves again, and refuses, when observe() saw a .gitignore that could un-ignore the file', async () => {
    const repo = await createRepo({ name: 'app' });
    await repo.commitFile('.gitignore', 'node_modules/\n!.env\n');
    const wt = await repo.addWorktree('feat/a');
    const found = await observed(wt);
    const ignore = found.observed.ignore;
    expect(ignore?.ok === true ? [...(ignore.value.ignoredOnceExcluded?.paths ?? [])] : null).toEqual([PROBE]);
    const appended = await appendExcludes(repo.commonDir, [`/${ENV}`, TEMP_FILES_EXCLUDE]);
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, appended]]))).rejects.toThrow(/re-includes it/);
  });

  it('proves again, and refuses, when the file is tracked', async () => {
    const repo = await createRepo({ name: 'app' });
    const wt = await repo.addWorktree('feat/a');
    await writeFile(join(wt, ENV), 'TRACKED=1\n');
    await repo.git('-C', wt, 'add', '-f', ENV);
    const found = await observed(wt);
    const ignore = found.observed.ignore;
    expect(ignore?.ok === true ? [...(ignore.value.ignoredOnceExcluded?.paths ?? [])] : null).toEqual([PROBE]);
    const appended = await appendExcludes(repo.commonDir, [`/${ENV}`, TEMP_FILES_EXCLUDE]);
    await expect(write(found, repo.commonDir, wt, new Map([[repo.commonDir, appended]]))).rejects.toThrow(/tracked by git/);
  });
});
