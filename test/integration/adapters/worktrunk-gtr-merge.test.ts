/** init --worktrunk and --gtr against existing hooks: every hook form, comments, git-config files, --local. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { GTR_POST_CREATE, GTR_PRE_REMOVE } from '../../../src/init/adapters/gtr.js';
import { WORKTRUNK_SETUP, WORKTRUNK_TEARDOWN } from '../../../src/init/adapters/worktrunk.js';
import { cleanupTempDirs, createRepo } from '../../support/git-fixtures.js';
import { initTool, read } from './helpers.js';

afterAll(cleanupTempDirs);

const start = { 'ravi-orchestrator': WORKTRUNK_SETUP };
const remove = { 'ravi-orchestrator': WORKTRUNK_TEARDOWN };

describe('init --worktrunk merging: ours becomes the last step of each hook', () => {
  it.each([
    ['a string', 'pre-start = "npm ci"\n', { 'pre-start': ['npm ci', start] }],
    ['a table of concurrent commands', '[pre-start]\ninstall = "npm ci"\nenv = "cp ../.env ."\n', { 'pre-start': [{ install: 'npm ci', env: 'cp ../.env .' }, start] }],
    ['a list of steps', 'pre-start = ["npm ci", { build = "npm run build" }]\n', { 'pre-start': ['npm ci', { build: 'npm run build' }, start] }],
    ['the older pre-create name', 'pre-create = "npm ci"\n', { 'pre-create': ['npm ci', start] }],
  ])('%s', async (_, existing, expected) => {
    const repo = await createRepo();
    await repo.commitFile('.config/wt.toml', `# project hooks\n${existing}\n[post-start]\ndev = "npm run dev" # background\n`);
    await initTool(repo, 'worktrunk');
    const text = await read(join(repo.path, '.config', 'wt.toml'));
    expect(parse(text)).toEqual({ ...expected, 'post-start': { dev: 'npm run dev' }, 'pre-remove': remove });
    expect(text).toContain('# project hooks');
    expect(text).toContain('# background');
  });

  it('leaves a hook that already runs ours, and reports comments a converted table lost', async () => {
    const repo = await createRepo();
    const preRemove = `pre-remove = [${JSON.stringify(WORKTRUNK_TEARDOWN)}]\n`;
    await repo.commitFile('.config/wt.toml', `${preRemove}\n[pre-start]\n# copy env\nenv = "cp ../.env ."\n`);
    const report = await initTool(repo, 'worktrunk');
    expect(report.notes.join('\n')).toContain('1 comment line(s)');
    const text = await read(join(repo.path, '.config', 'wt.toml'));
    expect(parse(text)).toEqual({ 'pre-remove': [WORKTRUNK_TEARDOWN], 'pre-start': [{ env: 'cp ../.env .' }, start] });
    expect(text.startsWith(preRemove)).toBe(true);
    const again = await initTool(repo, 'worktrunk');
    expect(again.written).toEqual([]);
  });
});

describe('init --gtr merging', () => {
  it('adds to .gtrconfig through git: comments, other keys and existing hooks kept', async () => {
    const repo = await createRepo();
    const team = '# team config\n[copy]\n\tinclude = **/.env.example\n[hooks]\n\t# install first\n\tpostCreate = npm ci\n';
    await repo.commitFile('.gtrconfig', team);
    await initTool(repo, 'gtr');
    const text = await read(join(repo.path, '.gtrconfig'));
    expect(text.startsWith(team)).toBe(true);
    const values = async (key: string) => (await repo.git('config', '-f', join(repo.path, '.gtrconfig'), '--get-all', key)).split('\n');
    expect(await values('hooks.postCreate')).toEqual(['npm ci', GTR_POST_CREATE]);
    expect(await values('hooks.preRemove')).toEqual([GTR_PRE_REMOVE]);
    expect(await values('copy.include')).toEqual(['**/.env.example']);
  });

  it('--local writes git config --local gtr.hook.*, never .gtrconfig; --dry-run shows it and writes nothing', async () => {
    const repo = await createRepo();
    const dry = await initTool(repo, 'gtr', { local: true, dryRun: true });
    expect(dry.files[0]?.path).toBe(join(repo.commonDir, 'config'));
    expect(dry.files[0]?.content).toContain('[gtr "hook"]');
    expect(await repo.git('config', '--get-regexp', '^gtr\\.').catch(() => '')).toBe('');
    await initTool(repo, 'gtr', { local: true });
    expect((await repo.git('config', '--get-all', 'gtr.hook.postCreate')).split('\n')).toEqual([GTR_POST_CREATE]);
    expect((await repo.git('config', '--get-all', 'gtr.hook.preRemove')).split('\n')).toEqual([GTR_PRE_REMOVE]);
    expect(existsSync(join(repo.path, '.gtrconfig'))).toBe(false);
    expect((await initTool(repo, 'gtr', { local: true })).written).toEqual([]);
  });
});
