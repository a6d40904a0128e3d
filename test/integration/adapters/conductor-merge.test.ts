/** init --conductor against existing Conductor settings: comments and keys kept, legacy conductor.json, --local. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { CONDUCTOR_ARCHIVE, CONDUCTOR_SETUP } from '../../../src/init/adapters/conductor.js';
import { AdapterConfigError } from '../../../src/init/adapters/errors.js';
import { cleanupTempDirs, createRepo } from '../../support/git-fixtures.js';
import { initTool, initToolError, read } from './helpers.js';

afterAll(cleanupTempDirs);

const TEAM = [
  '"$schema" = "https://conductor.build/schemas/settings.repo.schema.json"',
  '# team settings',
  'enterprise_data_privacy = true   # keep',
  '',
  '[scripts]',
  '# install deps',
  'setup = """',
  'pnpm install',
  'cp "$CONDUCTOR_ROOT_PATH/.env" .env',
  '"""',
  'run = "pnpm dev --port $CONDUCTOR_PORT" # the dev server',
  'archive = "docker compose down"',
  'run_mode = "concurrent"',
  '',
  '[environment_variables]',
  'FOO = "bar"',
  '',
].join('\n');

describe('init --conductor merging', () => {
  it('adds ours to .conductor/settings.toml keeping every key, comment and the multi-line string', async () => {
    const repo = await createRepo();
    await repo.commitFile('.conductor/settings.toml', TEAM);
    const report = await initTool(repo, 'conductor');
    const text = await read(join(repo.path, '.conductor', 'settings.toml'));
    for (const comment of ['# team settings', '# keep', '# install deps', '# the dev server']) expect(text).toContain(comment);
    expect(text).toContain(`pnpm install\ncp "$CONDUCTOR_ROOT_PATH/.env" .env\n${CONDUCTOR_SETUP}\n"""`);
    expect(parse(text)).toEqual({
      ...parse(TEAM),
      scripts: {
        setup: `pnpm install\ncp "$CONDUCTOR_ROOT_PATH/.env" .env\n${CONDUCTOR_SETUP}\n`,
        run: 'pnpm dev --port $CONDUCTOR_PORT',
        archive: `${CONDUCTOR_ARCHIVE}\ndocker compose down`,
        run_mode: 'concurrent',
      },
    });
    expect(report.notes.some((n) => n.includes('could not be kept'))).toBe(false);
  });

  it('merges into a legacy conductor.json when the repo has no settings.toml', async () => {
    const repo = await createRepo();
    const legacy = { scripts: { setup: 'npm ci', run: 'npm run dev' }, runScriptMode: 'nonconcurrent' };
    await repo.commitFile('conductor.json', JSON.stringify(legacy, null, 4));
    const report = await initTool(repo, 'conductor');
    expect(existsSync(join(repo.path, '.conductor'))).toBe(false);
    const text = await read(join(repo.path, 'conductor.json'));
    expect(text).toMatch(/^\{\n {4}"scripts"/);
    expect(JSON.parse(text)).toEqual({ ...legacy, scripts: { setup: `npm ci\n${CONDUCTOR_SETUP}`, run: 'npm run dev', archive: CONDUCTOR_ARCHIVE } });
    expect(report.notes.join('\n')).toContain('legacy conductor.json');
  });

  it('--local starts settings.local.toml from the team\'s scripts (a local key replaces the shared one)', async () => {
    const repo = await createRepo();
    await repo.commitFile('.conductor/settings.toml', TEAM);
    const report = await initTool(repo, 'conductor', { local: true });
    expect(await read(join(repo.path, '.conductor', 'settings.toml'))).toBe(TEAM);
    const local = parse(await read(join(repo.path, '.conductor', 'settings.local.toml'))) as { scripts: Record<string, string> };
    expect(local.scripts).toEqual({
      setup: `pnpm install\ncp "$CONDUCTOR_ROOT_PATH/.env" .env\n${CONDUCTOR_SETUP}\n`,
      archive: `${CONDUCTOR_ARCHIVE}\ndocker compose down`,
    });
    expect(report.notes.join('\n')).toContain('holds a copy of it with ours');
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    // The local file now runs ours, so the shared run has nothing to warn about.
    const shared = await initTool(repo, 'conductor', { dryRun: true });
    expect(shared.notes.some((n) => n.includes('settings.local.toml sets its own'))).toBe(false);
  });

  it('warns when settings.local.toml overrides the shared setup without ours', async () => {
    const repo = await createRepo();
    await repo.commitFile('.conductor/settings.local.toml', '[scripts]\nsetup = "make local"\n');
    const report = await initTool(repo, 'conductor');
    expect(report.notes.join('\n')).toContain('sets its own scripts.setup');
  });

  it('refuses scripts that are not a table, or a setup that is not a string', async () => {
    const repo = await createRepo();
    await repo.commitFile('.conductor/settings.toml', 'scripts = "npm ci"\n');
    expect((await initToolError(repo, 'conductor')).message).toContain('"scripts" must be a table');
    const other = await createRepo();
    await other.commitFile('.conductor/settings.toml', '[scripts]\nsetup = ["npm ci"]\n');
    const error = await initToolError(other, 'conductor');
    expect(error).toBeInstanceOf(AdapterConfigError);
    expect(error.message).toContain('scripts.setup must be a string (a shell script), got an array');
  });
});
