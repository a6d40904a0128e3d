/** Plain `init` lists the worktree tools a repo uses (files, where its worktrees live), and still writes the config. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommandLine } from '../../../src/cli/run.js';
import { detectTools } from '../../../src/init/adapters/detect.js';
import { cleanupTempDirs, createRepo, createTempDir } from '../../support/git-fixtures.js';
import { initTool } from './helpers.js';

afterAll(cleanupTempDirs);
beforeAll(async () => {
  const scratch = await createTempDir('ravi-detect-env-');
  vi.stubEnv('RAVI_ORCHESTRATOR_STATE_DIR', join(scratch, 'state'));
});

async function init(cwd: string, flags: readonly string[]): Promise<{ stdout: string; stderr: string; error: unknown }> {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().on('data', (c: Buffer) => (stdout += c.toString()));
  const err = new PassThrough().on('data', (c: Buffer) => (stderr += c.toString()));
  const io = { stdout: out, stderr: err, cwd, env: {}, readStdin: async () => '', readSecret: async () => null };
  const error = await runCommandLine(['init', ...flags], io).then(() => null, (e: unknown) => e);
  return { stdout, stderr, error };
}

describe('detecting worktree tools', () => {
  it('finds tools by their files and by where their worktrees live, and says which are set up', async () => {
    const repo = await createRepo({ name: 'detectapp' });
    const home = await createTempDir('ravi-detect-home-');
    await mkdir(join(repo.path, '.cursor'));
    await writeFile(join(repo.path, 'CLAUDE.md'), '# agents\n');
    await repo.addWorktree('thread', { path: join(home, '.codex', 'worktrees', 'a1b2', 'detectapp'), detach: true });
    await repo.git('config', 'gtr.worktrees.dir', '../wt');
    const found = await detectTools(repo.path, null);
    expect(found.map((t) => t.tool)).toEqual(['claude', 'cursor', 'codex', 'gtr']);
    expect(found.find((t) => t.tool === 'codex')?.evidence).toEqual(['1 worktree in its .codex/worktrees folder']);
    expect(found.find((t) => t.tool === 'gtr')?.evidence).toEqual(['gtr.* settings in git config']);
    expect(found.every((t) => t.configured === false)).toBe(true);

    await initTool(repo, 'cursor');
    const after = await detectTools(repo.path, null);
    expect(after.find((t) => t.tool === 'cursor')?.configured).toBe(true);
    expect(after.find((t) => t.tool === 'claude')?.configured).toBe(false);
  });

  it('init without a tool flag writes the config as before and prints the command for each tool found', async () => {
    const repo = await createRepo();
    await mkdir(join(repo.path, '.superset'));
    await writeFile(join(repo.path, '.gtrconfig'), '[hooks]\n\tpostCreate = npm ci\n');
    const run = await init(repo.path, []);
    expect(run.error).toBeNull();
    expect(run.stdout).toContain('Created ');
    expect(run.stdout).toContain('ravi-orchestrator.config.ts');
    expect(run.stdout).toContain('  Superset (.superset/): ravi-orchestrator init --superset');
    expect(run.stdout).toContain('  git-worktree-runner (git gtr) (.gtrconfig): ravi-orchestrator init --gtr');

    // Refusing to write over a config edited since, plain init still says what it found (on stderr).
    await writeFile(join(repo.path, 'ravi-orchestrator.config.ts'), 'export default {};\n');
    const again = await init(repo.path, []);
    expect(again.error).toBeInstanceOf(Error);
    expect(again.stderr).toContain('ravi-orchestrator init --gtr');
  });

  it('a repo without any tool gets no tool lines', async () => {
    const repo = await createRepo();
    const run = await init(repo.path, ['--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, detected: [] });
  });
});

describe('init flags', () => {
  it('refuses two tools at once, --local for a tool without a per-user file, and --install with a tool', async () => {
    const repo = await createRepo();
    expect(String((await init(repo.path, ['--claude', '--cursor'])).error)).toContain('init sets up one tool at a time (got --claude --cursor)');
    expect(String((await init(repo.path, ['--cursor', '--local'])).error)).toContain('Cursor has no per-user config file');
    expect(String((await init(repo.path, ['--claude', '--superset'])).error)).toContain('one tool at a time');
    expect(String((await init(repo.path, ['--codex', '--install', 'npm ci'])).error)).toContain('--install only applies');
    // Each refusal is a usage error (exit 64), before anything is written.
    expect((await init(repo.path, ['--claude', '--cursor'])).error).toMatchObject({ name: 'UsageError' });
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });
});
