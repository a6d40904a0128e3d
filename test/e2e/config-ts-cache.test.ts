/**
 * The built CLI with a .ts config: the first run transpiles it (importing `typescript`), later runs of the
 * same config never import `typescript`, an edit is seen at once, and a syntax error keeps its line and
 * column when it comes from the cache. Whether `typescript` was loaded is read from the CLI process's own
 * CommonJS module cache (where Node records `typescript.js` however it is imported) by a --import probe.
 * A portable config (this one: `defineConfig` from the package, linked in node_modules) makes a run write
 * nothing in the repo, which fs.watch on the repo's folder confirms; one that uses import.meta still does.
 */
import { eventsDuring } from '../support/fs-events.js';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PROBE = `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const loaded = Object.keys(cache).some((file) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(file));
  process.stderr.write('\\ntypescript loaded: ' + loaded + '\\n');
});
`;

afterAll(cleanupTempDirs);

let repo: TestRepo;
let home: string;
let probe: string;
let configFile: string;

beforeAll(async () => {
  repo = await createRepo({ name: 'app' });
  home = await createTempDir('ravi-home-');
  probe = join(home, 'probe.mjs');
  await writeFile(probe, PROBE);
  // `import { defineConfig } from 'ravi-orchestrator'` resolves to this checkout, as after `npm i -D`.
  await mkdir(join(repo.path, 'node_modules'));
  await symlink(PROJECT_ROOT, join(repo.path, 'node_modules', 'ravi-orchestrator'), 'dir');
  configFile = join(repo.path, 'ravi-orchestrator.config.ts');
});

const config = (stateDir: string) =>
  `import { defineConfig } from 'ravi-orchestrator';\nimport type { RawConfig } from 'ravi-orchestrator';\n` +
  `const stateDir: RawConfig['stateDir'] = '${stateDir}';\nexport default defineConfig({ stateDir });\n`;

async function status(): Promise<{ exitCode: number; stateDir: string | null; stderr: string; typescriptLoaded: boolean }> {
  const run = await runBuiltCli(['status', '--json'], { cwd: repo.path, home, env: { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` } });
  const loaded = /^typescript loaded: (true|false)$/m.exec(run.stderr);
  if (loaded === null) throw new Error(`the probe did not report (exit ${run.exitCode}): ${run.stderr}`);
  const stateDir = run.exitCode === 0 ? (JSON.parse(run.stdout) as { stateDir: string }).stateDir : null;
  return { exitCode: run.exitCode, stateDir, stderr: run.stderr, typescriptLoaded: loaded[1] === 'true' };
}

describe('a .ts config with the built CLI', () => {
  it('imports typescript only when the config changed, and always sees the current version', async () => {
    await writeFile(configFile, config('./state-a'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-a'), typescriptLoaded: true });
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-a'), typescriptLoaded: false });
    await writeFile(configFile, config('./state-b'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-b'), typescriptLoaded: true });
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-b'), typescriptLoaded: false });
    await writeFile(configFile, config('./state-a'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-a'), typescriptLoaded: false });
  });

  it('reports a syntax error with line and column from the cache too, without the secret', async () => {
    await writeFile(configFile, `export default {\n  concurrency: 2\n  repos: [\n  token: 'sk-live-0123456789abcdef',\n};\n`);
    const expected = `Cannot load config file ${configFile}: syntax error at line 3, column 3: ',' expected.`;
    const cold = await status();
    const warm = await status();
    expect(cold).toMatchObject({ exitCode: 78, typescriptLoaded: true });
    expect(warm).toMatchObject({ exitCode: 78, typescriptLoaded: false });
    for (const run of [cold, warm]) {
      expect(run.stderr).toContain(expected);
      expect(run.stderr).not.toContain('sk-live');
    }
  });

  it('a warm run of a portable config writes nothing in the repo; one using import.meta does (the control)', async () => {
    await writeFile(configFile, config('./state-w'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-w') });
    const warm = await eventsDuring(repo.path, async () => {
      expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-w'), typescriptLoaded: false });
    });
    expect(warm).toEqual([]);
    await writeFile(configFile, `${config('./state-m')}export const url = import.meta.url;\n`);
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-m') });
    const control = await eventsDuring(repo.path, async () => {
      expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-m'), typescriptLoaded: false });
    });
    expect(control.some((event) => event.includes('ravi-orchestrator.config.ts.'))).toBe(true);
  });

  it('leaves no file next to the config', async () => {
    expect((await readdir(repo.path)).sort()).toEqual(['.git', 'README.md', 'node_modules', 'ravi-orchestrator.config.ts']);
  });
});

