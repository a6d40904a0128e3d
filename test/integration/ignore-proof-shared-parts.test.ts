/**
 * The ignore proof (src/git/ignore-fast-path.ts) takes the asked paths apart once and judges them once per
 * info/exclude text, for all the worktrees of a pass. Those shared parts must never carry one repository's
 * answer into another's: answers asked in turn, with the same paths and with others, must each be git's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, git, type TestRepo } from '../support/git-fixtures.js';
import { analyzeIgnore, type IgnoreAnalysis } from '../../src/git/ignore-fast-path.js';
import { checkIgnoredByGit } from '../../src/git/ignore.js';

afterAll(cleanupTempDirs);

const answer = (analysis: IgnoreAnalysis) => ({ ignored: [...analysis.ignored].sort(), untracked: [...analysis.untrackedNotExcluded].sort() });

async function withExclude(lines: string): Promise<TestRepo> {
  const repo = await createRepo();
  await writeFile(join(repo.commonDir, 'info', 'exclude'), lines);
  return repo;
}

describe('the ignore proof across repositories and paths asked in turn', () => {
  it('answers each repository from its own info/exclude, .gitignore files and index', async () => {
    const excluded = await withExclude('/.env\n/.ravi/\n');
    const bare = await withExclude('# nothing\n');
    const tracked = await withExclude('/.env\n/.ravi/\n');
    await git(tracked.path, 'add', '-f', '--', '.'); // nothing yet: the index is made below
    await writeFile(join(tracked.path, '.env'), 'A=1\n');
    await git(tracked.path, 'add', '-f', '.env');
    const unignoring = await withExclude('/.env\n/.ravi/\n');
    await mkdir(join(unignoring.path, '.ravi'), { recursive: true });
    await writeFile(join(unignoring.path, '.ravi', '.gitignore'), '!config.json\n');

    const paths = ['.env', '.ravi/config.json'];
    const expected = {
      excluded: { ignored: ['.env', '.ravi/config.json'], untracked: [] },
      bare: { ignored: [], untracked: ['.env', '.ravi/config.json'] },
      tracked: { ignored: ['.ravi/config.json'], untracked: [] },
      unignoring: { ignored: ['.env'], untracked: [] },
    };
    const repos = { excluded, bare, tracked, unignoring };
    // Twice round, and with the same list of paths as a new array each time (as each worktree of a pass asks).
    for (let round = 0; round < 2; round += 1) {
      for (const [name, repo] of Object.entries(repos)) {
        expect({ name, ...answer(await analyzeIgnore(repo.path, [...paths])) }).toEqual({ name, ...expected[name as keyof typeof expected] });
      }
      // Other paths in between: their parts must not stand in for the next call's.
      expect(answer(await analyzeIgnore(excluded.path, ['.env']))).toEqual({ ignored: ['.env'], untracked: [] });
      expect(answer(await analyzeIgnore(bare.path, ['.ravi/config.json', '.env']))).toEqual({ ignored: [], untracked: ['.env', '.ravi/config.json'] });
    }
    // Each proof is git's answer.
    for (const [name, repo] of Object.entries(repos)) {
      const byGit = await checkIgnoredByGit(repo.path, paths);
      for (const path of expected[name as keyof typeof expected].ignored) {
        expect({ name, path, ignored: byGit.ignored.get(path), tracked: byGit.tracked.has(path) }).toEqual({ name, path, ignored: true, tracked: false });
      }
    }
  });
});
