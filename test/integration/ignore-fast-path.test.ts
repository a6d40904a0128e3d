/**
 * checkIgnored's fast path (src/git/ignore-fast-path.ts) against git itself, in real repositories: whenever the
 * fast path answers, git must give the same answer; in the plain steady state it must answer (or the
 * optimisation silently does nothing); and a no-op pass must start no `git check-ignore` at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { access, appendFile, chmod, constants, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { checkIgnored, checkIgnoredByGit } from '../../src/git/ignore.js';
import { analyzeIgnore, appendedLinesCover, certainlyIgnored, untrackedNotYetExcluded, type IgnoreAnalysis } from '../../src/git/ignore-fast-path.js';
import { singlePass } from '../../src/files/recorded-reads.js';
import { SharedLooks } from '../../src/files/shared-looks.js';
import { listWorktreesInProcess } from '../../src/git/worktree-list-fs.js';

afterAll(cleanupTempDirs);

const PATHS = ['.env', '.ravi/config.json'] as const;

/**
 * What the fast path proves in `worktree`, after checking that each proof is git's answer and that
 * checkIgnored (fast path + git for the rest) returns exactly what git alone returns.
 */
async function provenIn(worktree: string, paths: readonly string[] = PATHS): Promise<string[]> {
  const proven = [...(await certainlyIgnored(worktree, paths))].sort();
  // A pass's shared looks (shared-looks.ts: realpath by folder, one look at the repo's files) change no answer.
  const shared = await analyzeIgnore(worktree, paths, singlePass());
  const alone = await analyzeIgnore(worktree, paths);
  const answer = (analysis: IgnoreAnalysis) => ({ ignored: [...analysis.ignored].sort(), untracked: [...analysis.untrackedNotExcluded].sort() });
  expect(answer(shared)).toEqual(answer(alone));
  // Nor do the looks the worktree listing of the same pass leaves there (a `.git`, a HEAD: stamped-reads.ts).
  const looks = new SharedLooks();
  await listWorktreesInProcess(worktree, { looks });
  expect(answer(await analyzeIgnore(worktree, paths, singlePass({ looks })))).toEqual(answer(alone));
  const byGit = await checkIgnoredByGit(worktree, paths);
  for (const path of proven) {
    expect({ path, ignored: byGit.ignored.get(path), tracked: byGit.tracked.has(path) }).toEqual({ path, ignored: true, tracked: false });
  }
  const combined = await checkIgnored(worktree, paths);
  expect(Object.fromEntries(combined.ignored)).toEqual(Object.fromEntries(byGit.ignored));
  expect([...combined.tracked].sort()).toEqual([...byGit.tracked].sort());
  // Planning may leave "ignored" unproven (it then only adds our exclude line), but never calls a tracked path untracked.
  for (const path of await untrackedNotYetExcluded(worktree, paths)) expect({ path, tracked: byGit.tracked.has(path) }).toEqual({ path, tracked: false });
  const planning = await checkIgnored(worktree, paths, { forPlanning: true });
  expect([...planning.tracked].sort()).toEqual([...byGit.tracked].sort());
  for (const path of paths) if (planning.ignored.get(path) === true) expect(byGit.ignored.get(path)).toBe(true);
  await expectIgnoredOnceExcluded(worktree, alone);
  return proven;
}

/**
 * What the analysis says git will ignore once info/exclude ends with a line covering it, git says too: with `/P`
 * appended for each such P, git ignores P and does not track it. info/exclude is put back as it was.
 */
async function expectIgnoredOnceExcluded(worktree: string, analysis: IgnoreAnalysis): Promise<void> {
  const once = [...analysis.ignoredOnceExcluded].sort();
  if (once.length === 0) return;
  for (const path of once) expect({ path, notYet: analysis.untrackedNotExcluded.has(path), proven: analysis.ignored.has(path) }).toEqual({ path, notYet: true, proven: false });
  const file = join(analysis.commonDir as string, 'info', 'exclude');
  const before = await readFile(file).catch(() => null);
  const lines = once.map((path) => `/${path}`);
  for (const path of once) expect(appendedLinesCover(lines, path)).toBe(true);
  try {
    await mkdir(join(file, '..'), { recursive: true });
    await appendFile(file, `${before === null || before.length === 0 || before.at(-1) === 0x0a ? '' : '\n'}${lines.join('\n')}\n`);
    const byGit = await checkIgnoredByGit(worktree, once);
    for (const path of once) expect({ path, ignored: byGit.ignored.get(path), tracked: byGit.tracked.has(path) }).toEqual({ path, ignored: true, tracked: false });
  } finally {
    if (before === null) await rm(file, { force: true });
    else await writeFile(file, before);
  }
}

const excludeFile = (repo: TestRepo) => join(repo.commonDir, 'info', 'exclude');

/** git's own template comments, then `lines`. */
async function setExclude(repo: TestRepo, lines: string): Promise<void> {
  await writeFile(excludeFile(repo), `# git ls-files --others --exclude-from=.git/info/exclude\n# *~\n${lines}`);
}

async function commitForced(repo: TestRepo, relPath: string, content: string): Promise<void> {
  await mkdir(join(repo.path, relPath, '..'), { recursive: true });
  await writeFile(join(repo.path, relPath), content);
  await repo.git('add', '-f', '--', relPath);
  await repo.git('commit', '--quiet', '-m', `add ${relPath}`);
}

/** main worktree, a linked one, and a linked one made with --no-checkout (no index, no files yet). */
async function worktreesOf(repo: TestRepo): Promise<Record<'main' | 'linked' | 'fresh', string>> {
  const linked = await repo.addWorktree('feat/x');
  const fresh = join(repo.root, 'fresh');
  await repo.git('worktree', 'add', '--quiet', '--no-checkout', '-b', 'fresh', fresh);
  return { main: repo.path, linked, fresh };
}

type P = (typeof PATHS)[number];

// Each variant lists the paths whose proof it must block (a negation that could match them).
// `covers`: the paths a line there covers already, so that a line of ours appended would change nothing for them.
const EXCLUDES: readonly { name: string; lines: string | null; blocks: readonly P[]; covers: readonly P[] }[] = [
  { name: 'no patterns of ours', lines: null, blocks: [...PATHS], covers: [] },
  { name: 'our patterns', lines: '/.env\n/.ravi/\n', blocks: [], covers: [...PATHS] },
  { name: 'ours, CRLF and trailing spaces', lines: '/.env  \r\n/.ravi/ \r\n', blocks: [], covers: [...PATHS] },
  { name: 'ours, then !/.env', lines: '/.env\n/.ravi/\n!/.env\n', blocks: ['.env'], covers: [...PATHS] },
  { name: 'ours, then a glob negation !*.json', lines: '/.env\n/.ravi/\n!*.json\n', blocks: [...PATHS], covers: [...PATHS] },
  { name: 'ours, then an unrelated literal negation', lines: '/.env\n/.ravi/\n!.env.example\n!/docs/\n', blocks: [], covers: [...PATHS] },
  { name: 'ours, then " !.env" (a literal to git, a negation to the cautious reader)', lines: '/.env\n/.ravi/\n !.env\n', blocks: ['.env'], covers: [...PATHS] },
  { name: 'only the .ravi folder, without the slash', lines: '/.ravi\n', blocks: ['.env'], covers: ['.ravi/config.json'] },
  { name: 'negations only (a line of ours appended after them decides)', lines: '!/.env\n!*.json\n', blocks: [...PATHS], covers: [] },
];

const GITIGNORES: readonly { name: string; files: Record<string, string>; blocks: readonly P[] }[] = [
  { name: 'no .gitignore', files: {}, blocks: [] },
  { name: 'root .gitignore without negation', files: { '.gitignore': '*.log\nnode_modules/\n' }, blocks: [] },
  { name: 'root .gitignore with !.env', files: { '.gitignore': '*.log\n!.env\n' }, blocks: ['.env'] },
  { name: 'root .gitignore with .env* and !.env.example', files: { '.gitignore': '.env*\n!.env.example\n' }, blocks: [] },
  { name: 'root .gitignore with !.ravi/', files: { '.gitignore': '!.ravi/\n' }, blocks: ['.ravi/config.json'] },
  { name: '.ravi/.gitignore with !config.json', files: { '.ravi/.gitignore': '!config.json\n' }, blocks: ['.ravi/config.json'] },
];

const TRACKED: readonly { name: string; path: P | null }[] = [
  { name: 'nothing of ours tracked', path: null },
  { name: '.env force-added', path: '.env' },
  { name: '.ravi/config.json force-added', path: '.ravi/config.json' },
];

describe('fast path vs git, over generated configurations', () => {
  for (const gitignore of GITIGNORES) {
    for (const tracked of TRACKED) {
      it(`${gitignore.name}; ${tracked.name}; every info/exclude variant; main, linked and fresh worktrees`, async () => {
        const repo = await createRepo({ name: 'app' });
        for (const [path, content] of Object.entries(gitignore.files)) await commitForced(repo, path, content);
        if (tracked.path !== null) await commitForced(repo, tracked.path, 'TRACKED=1\n');
        const worktrees = await worktreesOf(repo);
        for (const exclude of EXCLUDES) {
          await setExclude(repo, exclude.lines ?? '');
          for (const [kind, worktree] of Object.entries(worktrees)) {
            // A fresh (--no-checkout) worktree has no index and no .gitignore yet: only info/exclude counts.
            const byWorktree = kind === 'fresh' ? [] : [...gitignore.blocks, ...(tracked.path === null ? [] : [tracked.path])];
            const blocked = new Set([...exclude.blocks, ...byWorktree]);
            const expected = PATHS.filter((path) => !blocked.has(path));
            // Not covered yet, and nothing in the worktree (a .gitignore negation, the index) stands in the way.
            const once = PATHS.filter((path) => !exclude.covers.includes(path) && !byWorktree.includes(path));
            expect({ exclude: exclude.name, kind, proven: await provenIn(worktree), once: [...(await analyzeIgnore(worktree, PATHS)).ignoredOnceExcluded].sort() })
              .toEqual({ exclude: exclude.name, kind, proven: expected, once });
          }
        }
      });
    }
  }
});

describe('fast path vs git, special cases', () => {
  async function steadyRepo(): Promise<{ repo: TestRepo; wt: string }> {
    const repo = await createRepo({ name: 'app' });
    await repo.commitFile('.gitignore', 'node_modules/\n');
    const wt = await repo.addWorktree('feat/y');
    await setExclude(repo, '/.env\n/.ravi/\n');
    return { repo, wt };
  }

  it('answers in the steady state, also with the TREE and untracked-cache (UNTR) index extensions', async () => {
    const { repo, wt } = await steadyRepo();
    await writeFile(join(wt, '.env'), 'A=1\n');
    await repo.git('-C', wt, 'update-index', '--untracked-cache');
    await repo.git('-C', wt, 'status', '--porcelain');
    expect((await readFile(join(repo.commonDir, 'worktrees', 'y', 'index'))).includes('UNTR')).toBe(true);
    expect(await provenIn(wt)).toEqual([...PATHS]);
    expect(await provenIn(repo.path)).toEqual([...PATHS]);
  });

  it('answers each worktree of a pass by its own .gitignore, when several worktrees share one text and one does not', async () => {
    const { repo, wt } = await steadyRepo();
    const other = await repo.addWorktree('feat/z');
    const third = await repo.addWorktree('feat/w');
    // Worktree files a branch has not committed: `other` re-includes .env (a negation git then honours for it alone).
    await writeFile(join(other, '.gitignore'), 'node_modules/\n!.env\n');
    const looks = new SharedLooks();
    const pass = singlePass<IgnoreAnalysis>({ looks });
    const ignoredIn = async (worktree: string) => [...(await analyzeIgnore(worktree, PATHS, pass)).ignored].sort();
    // One pass's order: the shared text, the other one, the shared text again (the parsed rules are kept by text).
    expect(await ignoredIn(wt)).toEqual([...PATHS]);
    expect(await ignoredIn(other)).toEqual(['.ravi/config.json']);
    expect(await ignoredIn(third)).toEqual([...PATHS]);
    expect((await checkIgnoredByGit(other, ['.env'])).ignored.get('.env')).toBe(false); // git's own answer agrees
  });

  it('falls back on index version 4, and answers again at version 2', async () => {
    const { repo, wt } = await steadyRepo();
    await repo.git('-C', wt, 'update-index', '--index-version', '4');
    expect(await provenIn(wt)).toEqual([]);
    expect(await provenIn(repo.path)).toEqual([...PATHS]); // the main worktree has its own index
    await repo.git('-C', wt, 'update-index', '--index-version', '2');
    expect(await provenIn(wt)).toEqual([...PATHS]);
  });

  it('falls back on a split index (where .env could be tracked in the shared part)', async () => {
    const { repo, wt } = await steadyRepo();
    await writeFile(join(wt, '.env'), 'A=1\n');
    await repo.git('-C', wt, 'add', '-f', '.env');
    await repo.git('-C', wt, 'update-index', '--split-index');
    expect(await provenIn(wt)).toEqual([]);
    await repo.git('-C', wt, 'rm', '--cached', '--quiet', '.env');
    expect(await provenIn(wt)).toEqual([]);
    await repo.git('-C', wt, 'update-index', '--no-split-index');
    expect(await provenIn(wt)).toEqual([...PATHS]);
  });

  it('falls back on a sparse index', async () => {
    const repo = await createRepo({ name: 'app' });
    await repo.commitFile('docs/a.md', 'a\n');
    await repo.commitFile('src/b.ts', 'b\n');
    await setExclude(repo, '/.env\n/.ravi/\n');
    expect(await provenIn(repo.path)).toEqual([...PATHS]);
    await repo.git('sparse-checkout', 'set', '--cone', '--sparse-index', 'src');
    expect(await provenIn(repo.path)).toEqual([]);
  });

  it('falls back when an intent-to-add .env or a differently-cased tracked .ENV is in the index', async () => {
    const { repo, wt } = await steadyRepo();
    await writeFile(join(wt, '.env'), 'A=1\n');
    await repo.git('-C', wt, 'add', '-N', '-f', '.env');
    expect(await provenIn(wt)).toEqual(['.ravi/config.json']);
    await repo.git('-C', wt, 'rm', '--cached', '--quiet', '.env');
    await writeFile(join(wt, '.ENV'), 'A=1\n');
    await repo.git('-C', wt, 'add', '-f', '.ENV');
    expect(await provenIn(wt)).toEqual(['.ravi/config.json']); // cautious: core.ignoreCase could fold them
    await repo.git('config', 'core.ignoreCase', 'true');
    expect(await provenIn(wt)).toEqual(['.ravi/config.json']);
  });

  it('reads a skip-worktree .gitignore that is missing from disk the way git does: from the index', async () => {
    const { repo, wt } = await steadyRepo();
    await writeFile(join(wt, '.gitignore'), '!.env\n');
    await repo.git('-C', wt, 'commit', '--quiet', '-am', 'negate .env');
    await repo.git('-C', wt, 'update-index', '--skip-worktree', '.gitignore');
    await rm(join(wt, '.gitignore'));
    expect((await checkIgnoredByGit(wt, ['.env'])).ignored.get('.env')).toBe(false);
    expect(await provenIn(wt)).toEqual([]); // the root .gitignore rules both paths, and it is in the index
    await repo.git('-C', wt, 'update-index', '--no-skip-worktree', '.gitignore');
    await repo.git('-C', wt, 'rm', '--cached', '--quiet', '.gitignore');
    expect(await provenIn(wt)).toEqual([...PATHS]);
  });

  it('falls back when .ravi is a symlink (git refuses the path) or a submodule', async () => {
    const { repo, wt } = await steadyRepo();
    await mkdir(join(wt, 'elsewhere'));
    await symlink('elsewhere', join(wt, '.ravi'));
    await expect(checkIgnoredByGit(wt, ['.ravi/config.json'])).rejects.toThrow(/symbolic link/);
    expect(await certainlyIgnored(wt, PATHS)).toEqual(new Set(['.env']));
    await rm(join(wt, '.ravi'));
    const head = await repo.git('rev-parse', 'HEAD');
    await repo.git('-C', wt, 'update-index', '--add', '--cacheinfo', `160000,${head},.ravi`);
    await expect(checkIgnoredByGit(wt, ['.ravi/config.json'])).rejects.toThrow(/submodule/);
    expect(await certainlyIgnored(wt, PATHS)).toEqual(new Set(['.env']));
  });

  it('falls back when the root .gitignore is a symlink (git does not follow it)', async () => {
    const { repo, wt } = await steadyRepo();
    await writeFile(join(repo.root, 'shared-ignore'), '!.env\n');
    await rm(join(wt, '.gitignore'));
    await symlink(join(repo.root, 'shared-ignore'), join(wt, '.gitignore'));
    expect(await provenIn(wt)).toEqual([]);
  });

  it('ignores core.excludesFile, which comes after info/exclude, even when it negates .env', async () => {
    const { repo, wt } = await steadyRepo();
    const userExcludes = join(repo.root, 'user-excludes');
    await writeFile(userExcludes, '!/.env\n!.ravi/\n');
    await repo.git('config', 'core.excludesFile', userExcludes);
    expect(await provenIn(wt)).toEqual([...PATHS]);
  });

  it('handles a nested env file and its folder, tracked or negated', async () => {
    const { repo, wt } = await steadyRepo();
    const nested = 'config/.env.local';
    await setExclude(repo, `/${nested}\n`);
    expect(await provenIn(wt, [nested])).toEqual([nested]);
    await repo.commitFile('config/app.json', '{}\n', { worktree: wt }); // config/ holds tracked files: still fine
    expect(await provenIn(wt, [nested])).toEqual([nested]);
    await repo.commitFile('config/.gitignore', '!.env.local\n', { worktree: wt });
    expect(await provenIn(wt, [nested])).toEqual([]);
  });

  it('never answers for a path git would read as a glob, and answers for none of a bare repo\'s main entry', async () => {
    const { repo, wt } = await steadyRepo();
    await appendFile(excludeFile(repo), '/.env*\n');
    expect(await provenIn(wt, ['.env*', '.ravi/', './.env'])).toEqual([]);

    const bare = await createRepo({ name: 'served', bare: true });
    const linked = await bare.addWorktree('feat/z');
    await setExclude(bare, '/.env\n/.ravi/\n');
    expect(await certainlyIgnored(bare.path, PATHS)).toEqual(new Set());
    expect(await provenIn(linked)).toEqual([...PATHS]);
  });

  it('answers for a worktree whose .git file reaches the repo through a symlinked folder, as git does', async () => {
    const { repo, wt } = await steadyRepo();
    // The repo seen through a link (a home folder on another mount, say): the .git file names the admin folder by it.
    const link = join(repo.root, 'via-link');
    await symlink(repo.path, link);
    const dotGit = join(wt, '.git');
    const adminDir = (await readFile(dotGit, 'utf8')).trim().replace(/^gitdir: /, '');
    await writeFile(dotGit, `gitdir: ${adminDir.replace(repo.path, link)}\n`);
    expect(await repo.git('-C', wt, 'rev-parse', '--git-common-dir')).toContain(repo.path.split('/').pop());
    expect(await provenIn(wt)).toEqual([...PATHS]);
    // A relative commondir that is not only `..` (git allows any path) takes the system's realpath, same answer.
    await writeFile(join(adminDir, 'commondir'), `../../../../${repo.path.split('/').pop()}/.git\n`);
    expect(await provenIn(wt)).toEqual([...PATHS]);
  });

  it('falls back for a SHA-256 repository and for core.worktree', async () => {
    const root = await createTempDir('ravi-sha256-');
    const { execa } = await import('execa');
    await execa('git', ['init', '--quiet', '--object-format=sha256', root]);
    await writeFile(join(root, '.git', 'info', 'exclude'), '/.env\n/.ravi/\n');
    expect((await checkIgnoredByGit(root, PATHS)).ignored.get('.env')).toBe(true);
    expect(await provenIn(root)).toEqual([]);

    const { repo } = await steadyRepo();
    expect(await provenIn(repo.path)).toEqual([...PATHS]);
    await repo.git('config', 'core.worktree', repo.path);
    expect(await provenIn(repo.path)).toEqual([]);
  });
});

describe('a no-op reconcile pass', () => {
  /** A `git` first on PATH that logs its arguments, one line per process, then runs the real git. */
  async function gitSpy(): Promise<{ calls(): Promise<string[]>; run<T>(body: () => Promise<T>): Promise<T> }> {
    const realGit = await findOnPath('git');
    const dir = await createTempDir('ravi-git-spy-');
    const log = join(dir, 'calls.log');
    await writeFile(log, '');
    await writeFile(join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    await chmod(join(dir, 'git'), 0o755);
    return {
      calls: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== ''),
      async run(body) {
        const saved = process.env['PATH'];
        process.env['PATH'] = `${dir}${delimiter}${saved ?? ''}`;
        try {
          return await body();
        } finally {
          process.env['PATH'] = saved;
        }
      },
    };
  }

  it('starts no git at all: no check-ignore or ls-files, and the inventory in-process', async () => {
    const repo = await createRepo({ name: 'app' });
    const worktrees = [await repo.addWorktree('feat/a'), await repo.addWorktree('feat/b'), await repo.addWorktree('fix/c')];
    const stateDir = join(await createTempDir('ravi-state-'), 'state');
    const harness = createHarness(testConfig(stateDir, [repo.path]));
    await harness.reconcile(); // provisions: identities, .env files, our lines in info/exclude
    for (const wt of worktrees) expect(await repo.git('-C', wt, 'status', '--porcelain', '--untracked-files=all')).toBe('');

    const spy = await gitSpy();
    const report = await spy.run(() => harness.reconcile());
    expect(report.plan.actions).toEqual([]);
    const calls = await spy.calls();
    // Not even the inventory: a plain layout is listed in-process (worktree-list-fs.ts). The control below shows
    // the spy does see git.
    expect(calls).toEqual([]);

    // A repo's first pass (nothing of ours in info/exclude yet) starts no git per worktree either: untracked is
    // proven from the index, our lines go into info/exclude, and the writes then prove them ignored.
    const fresh = await createRepo({ name: 'fresh' });
    for (const name of ['one', 'two', 'three']) await fresh.addWorktree(name);
    const first = createHarness(testConfig(join(await createTempDir('ravi-state-'), 'state'), [fresh.path]));
    const firstSpy = await gitSpy();
    const firstPass = await firstSpy.run(() => first.reconcile());
    expect(firstPass.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(firstPass.results.map((r) => r.action.type)).toContain('ensure-excluded');
    expect((await firstSpy.calls()).filter((c) => / (check-ignore|ls-files) /.test(c))).toEqual([]);
    for (const name of ['one', 'two', 'three']) expect(await fresh.git('-C', join(fresh.root, 'fresh-worktrees', name), 'status', '--porcelain', '--untracked-files=all')).toBe('');

    // Control: a negation the fast path cannot rule out sends every worktree back to git (same plan, no writes).
    await appendFile(excludeFile(repo), '!*.md\n');
    const spyAgain = await gitSpy();
    const again = await spyAgain.run(() => harness.reconcile());
    expect(again.plan.actions).toEqual([]);
    expect((await spyAgain.calls()).filter((c) => c.includes(' check-ignore '))).toHaveLength(worktrees.length);
  });
});

async function findOnPath(command: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${command} is not on PATH`);
}
