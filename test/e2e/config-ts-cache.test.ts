/**
 * The built CLI with a .ts config: the first run transpiles it (loading jiti's Babel), later runs of the same
 * config never load a transpiler, an edit is seen at once, a syntax error keeps its line and column every
 * time, and `typescript` is never loaded. What was loaded is read from the CLI process's own CommonJS module
 * cache (where Node records `babel.cjs` and `typescript.js` however they are imported) by a --import probe.
 * No run writes anything in the repo (fs.watch on the repo's folder), whatever the config uses; the control
 * is a config that writes a file next to itself on purpose.
 */
import { eventsDuring } from '../support/fs-events.js';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PROBE = `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const files = Object.keys(cache);
  const babel = files.some((file) => /[\\\\/]jiti[\\\\/]dist[\\\\/]babel\\.cjs$/.test(file));
  const typescript = files.some((file) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(file));
  process.stderr.write('\\nloaded: babel=' + babel + ' typescript=' + typescript + '\\n');
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

async function status(): Promise<{ exitCode: number; stateDir: string | null; stderr: string; babelLoaded: boolean }> {
  const run = await runBuiltCli(['status', '--json'], { cwd: repo.path, home, env: { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` } });
  const loaded = /^loaded: babel=(true|false) typescript=(true|false)$/m.exec(run.stderr);
  if (loaded === null) throw new Error(`the probe did not report (exit ${run.exitCode}): ${run.stderr}`);
  expect(loaded[2]).toBe('false'); // typescript is a build tool only
  const stateDir = run.exitCode === 0 ? (JSON.parse(run.stdout) as { stateDir: string }).stateDir : null;
  return { exitCode: run.exitCode, stateDir, stderr: run.stderr, babelLoaded: loaded[1] === 'true' };
}

describe('a .ts config with the built CLI', () => {
  it('loads a transpiler only when the config changed, and always sees the current version', async () => {
    await writeFile(configFile, config('./state-a'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-a'), babelLoaded: true });
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-a'), babelLoaded: false });
    await writeFile(configFile, config('./state-b'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-b'), babelLoaded: true });
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-b'), babelLoaded: false });
  });

  it('reports a syntax error with line and column every time, without the secret', async () => {
    await writeFile(configFile, `export default {\n  concurrency: 2\n  repos: [\n  token: 'sk-live-0123456789abcdef',\n};\n`);
    const expected = `Cannot load config file ${configFile}: syntax error at line 3, column 3: Unexpected token, expected ","`;
    for (const run of [await status(), await status()]) {
      expect(run.exitCode).toBe(78);
      expect(run.stderr).toContain(expected);
      expect(run.stderr).not.toContain('sk-live');
    }
  });

  it('no run writes in the repo, with import.meta too; a config that writes there on purpose is seen (the control)', async () => {
    await writeFile(configFile, config('./state-w'));
    expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-w') });
    const warm = await eventsDuring(repo.path, async () => {
      expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-w'), babelLoaded: false });
    });
    expect(warm).toEqual([]);
    await writeFile(configFile, `${config('./state-m')}export const url = import.meta.url;\n`);
    const cold = await eventsDuring(repo.path, async () => {
      expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-m'), babelLoaded: true });
    });
    expect(cold).toEqual([]);
    await writeFile(configFile, `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./touched', import.meta.url), '');\n${config('./state-c')}`);
    const control = await eventsDuring(repo.path, async () => {
      expect(await status()).toMatchObject({ exitCode: 0, stateDir: join(repo.path, 'state-c') });
    });
    expect(control.some((event) => event.endsWith(' touched'))).toBe(true);
    await rm(join(repo.path, 'touched'));
  });

  it('leaves no file next to the config', async () => {
    expect((await readdir(repo.path)).sort()).toEqual(['.git', 'README.md', 'node_modules', 'ravi-orchestrator.config.ts']);
  });
});
