/**
 * Identity names (issue 14): what tells worktrees apart survives (the branch prefix of Superset-style folders,
 * the end of a long branch), every name is a valid email local part of 3-30 chars, and the same inputs always
 * give the same name.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listWorktrees } from '../../src/git/worktrees.js';
import { baseIdentityName, sanitizeName, uniqueName, worktreeLabel } from '../../src/reconcile/naming.js';
import { cleanupTempDirs, createRepo } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const DEFAULT = 'ws-{repo}-{worktree}';
/** Ravi's rule for custom email local parts (RAVI-CONTRACT.md), minus dots, which names never use. */
const LOCAL_PART = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,29}$/;
const name = (adminId: string, branch: string | null, repoName = 'app', template = DEFAULT) =>
  baseIdentityName({ template, repoName, adminId, branch: branch === null ? null : `refs/heads/${branch}` });

describe('baseIdentityName', () => {
  it.each([
    // Superset nests `feat/login` in `…/feat/login`: git's admin ids are `login` and `login1`.
    ['login', 'feat/login', 'ws-app-feat-login'],
    ['login1', 'fix/login', 'ws-app-fix-login'],
    ['login2', 'chore/deps/login', 'ws-app-chore-deps-login'],
    // A folder named after the whole branch, flattened, as the README's example.
    ['feat-signup', 'feat/signup', 'ws-app-feat-signup'],
    // A counter after a name ending in a digit.
    ['v21', 'release/v2', 'ws-app-release-v2'],
    // Folders not named after the branch keep their own name (Conductor's cities, Claude Code's sessions).
    ['tokyo', 'alice/fix-payments', 'ws-app-tokyo'],
    ['brave-otter', 'worktree-brave-otter', 'ws-app-brave-otter'],
    ['api2', 'feat/apiv2', 'ws-app-api2'],
    // Detached HEAD: only the folder is known.
    ['login1', null, 'ws-app-login1'],
    // Non-ASCII folders (git keeps them) and branches.
    ['ünïcode guide', 'docs/unicode-guide', 'ws-app-docs-unicode-guide'],
    ['Login', 'feat/login', 'ws-app-feat-login'],
  ])('folder %s on %s -> %s', (adminId, branch, expected) => {
    expect(name(adminId, branch)).toBe(expected);
  });

  it.each([
    // The case: once cut to `ws-app-very-long-featur-b223d2`; now the prefix and the end stay.
    ['very-long-feature-name-for-the-login-page', 'feat/very-long-feature-name-for-the-login-page', 'ws-app-feat-for-the-login-page'],
    ['very-long-feature-name-for-the-signup-page', 'feat/very-long-feature-name-for-the-signup-page', 'ws-app-feat-the-signup-page'],
    ['PROJ-1234-add-oauth-login', 'feat/PROJ-1234-add-oauth-login', 'ws-app-feat-add-oauth-login'],
    ['PROJ-1234-add-oauth-logout', 'feat/PROJ-1234-add-oauth-logout', 'ws-app-feat-add-oauth-logout'],
    // One long word: its start and its end.
    ['averyveryveryverylongsinglewordbranchname', 'averyveryveryverylongsinglewordbranchname', 'ws-app-ongsinglewordbranchname'],
  ])('long: folder %s on %s -> %s', (adminId, branch, expected) => {
    expect(name(adminId, branch)).toBe(expected);
  });

  it('cuts a long repo name only after the worktree value is down to ~16 chars, keeping its start', () => {
    expect(name('x', 'feat/x', 'my-extremely-long-repository-name')).toBe('ws-my-extremely-long-feat-x');
    expect(name('very-long-feature-name-for-the-login-page', 'feat/very-long-feature-name-for-the-login-page', 'my-extremely-long-repository-name'))
      .toBe('ws-my-extremel-feat-login-page');
  });

  it.each([
    ['{repo}-{branch}', 'app-feat-login'],
    ['agent-{worktree}', 'agent-feat-login'],
    ['{worktree}', 'feat-login'],
    ['{repo}', 'app'],
    ['{branch}', 'feat-login'],
    ['x', 'ws-x'], // too short: padded to a valid local part
    ['this-is-a-very-long-literal-prefix-{worktree}', 'this-is-a-prefix-feat-login'],
  ])('template %s -> %s', (template, expected) => {
    expect(name('login', 'feat/login', 'app', template)).toBe(expected);
  });

  it('gives real Superset-style sibling worktrees (same folder name) distinct names that keep the branch prefix', async () => {
    const repo = await createRepo({ name: 'app' });
    for (const branch of ['feat/login', 'fix/login', 'chore/login']) await repo.addWorktree(branch); // <root>/app-worktrees/feat/login ...
    const inventory = await listWorktrees(repo.path);
    const linked = inventory.worktrees.filter((w) => !w.isMain);
    expect(linked.map((w) => w.adminId).sort()).toEqual(['login', 'login1', 'login2']); // what git does
    const names = linked.map((w) => baseIdentityName({ template: DEFAULT, repoName: inventory.repoName, adminId: w.adminId as string, branch: w.branch }));
    expect(names.sort()).toEqual(['ws-app-chore-login', 'ws-app-feat-login', 'ws-app-fix-login']);
  });

  it('always gives a valid local part of 3-30 chars, the same one for the same inputs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string()), fc.constantFrom(DEFAULT, '{repo}-{branch}', '{worktree}', 'agent-{worktree}-{branch}'),
        (repoName, adminId, branch, template) => {
          const inputs = { template, repoName, adminId, branch };
          const result = baseIdentityName(inputs);
          expect(result).toMatch(LOCAL_PART);
          expect(baseIdentityName(inputs)).toBe(result);
        }),
      { numRuns: 500 },
    );
  });
});

describe('worktreeLabel', () => {
  it.each([
    ['login', 'refs/heads/feat/login', 'feat-login'],
    ['login10', 'refs/heads/fix/login', 'fix-login'],
    ['loginx', 'refs/heads/fix/login', 'loginx'],
    ['login', 'refs/heads/login', 'login'],
    ['login', null, 'login'],
    ['login', '', 'login'],
  ])('%s on %s -> %s', (adminId, branch, expected) => {
    expect(worktreeLabel(adminId, branch)).toBe(expected);
  });
});

describe('uniqueName and sanitizeName', () => {
  it.each([
    ['ws-app-feat-x', 'ws-app-feat-x-'],
    ['ws-app-feat-for-the-login-page', 'ws-app-feat-login-page-'],
    ['ws-app-docs-unicode-guide', 'ws-app-docs-guide-'],
  ])('uniqueName(%s) keeps %s and adds a hash of the worktree key', (base, kept) => {
    const unique = uniqueName(base, '/repo/.git\0login');
    expect(unique).toMatch(new RegExp(`^${kept}[0-9a-f]{6}$`));
    expect(unique).toMatch(LOCAL_PART);
    expect(uniqueName(base, '/repo/.git\0login')).toBe(unique);
    expect(uniqueName(base, '/repo/.git\0login1')).not.toBe(unique);
  });

  it.each([
    ['Feat/Login', 'feat-login'],
    ['--a--b--', 'a-b'],
    ['', 'ws-x'],
    ['é', 'ws-e'],
    ['x'.repeat(40), `${'x'.repeat(15)}-${'x'.repeat(14)}`], // one long word: its start and end, the cut marked
  ])('sanitizeName(%j) -> %s', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
  });
});
