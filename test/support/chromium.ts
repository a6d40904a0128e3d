/**
 * Which Chromium the browser tests drive, so that `npm install && npm test` is enough on a fresh machine:
 * RAVI_TEST_CHROMIUM if set, else a system Chromium or Chrome, else the headless Chromium that the
 * @sparticuz/chromium dev dependency ships (Linux x64), unpacked once into node_modules/.cache. Nothing is
 * downloaded: the package carries the browser in its tarball and has no install script.
 *
 * The package's files (bin/chromium.br, al2023.tar.br, fonts.tar.br) and what they hold are read from its
 * source, https://github.com/Sparticuz/chromium (source/index.ts, source/lambdafs.ts, source/paths.ts). We
 * unpack them ourselves rather than call its executablePath(), which writes to a fixed /tmp/chromium shared
 * by every version and every process on the machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium } from 'playwright-core';

export interface ChromiumBinary {
  readonly path: string;
  /** Where it came from, for error messages and the test log. */
  readonly source: 'RAVI_TEST_CHROMIUM' | 'system' | 'bundled';
  /** Extra environment the browser needs (the bundled one's fallback libraries and fonts). */
  readonly env: Readonly<Record<string, string>>;
}

/** Thrown when no browser can be found or started: the tests fail with this, they never skip. */
export class NoChromiumError extends Error {
  override readonly name = 'NoChromiumError';
}

let found: Promise<ChromiumBinary> | null = null;

/** The Chromium to launch; looked up once per process. */
export function findChromium(): Promise<ChromiumBinary> {
  found ??= locate();
  return found;
}

async function locate(): Promise<ChromiumBinary> {
  const explicit = process.env.RAVI_TEST_CHROMIUM;
  if (explicit !== undefined && explicit !== '') {
    const failure = versionFailure(explicit, {});
    if (failure !== null) throw new NoChromiumError(`RAVI_TEST_CHROMIUM=${explicit} does not start: ${failure}`);
    return { path: explicit, source: 'RAVI_TEST_CHROMIUM', env: {} };
  }
  const candidates = systemCandidates();
  const system = candidates.find((path) => versionFailure(path, {}) === null);
  if (system !== undefined) return { path: system, source: 'system', env: {} };
  if (process.platform === 'linux' && process.arch === 'x64') return bundledChromium();
  const seen = candidates.length === 0 ? `none of ${PATH_NAMES.join(', ')} is on PATH` : `${candidates.join(', ')} did not start`;
  throw new NoChromiumError(
    `no working Chromium or Chrome (${seen}), and the bundled one (@sparticuz/chromium) is for Linux x64 only. ` +
      'Install Chrome or Chromium, or set RAVI_TEST_CHROMIUM to its path.',
  );
}

const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];
const MAC_APPS = ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'];

/** Existing executables, in order of preference; Playwright's own browser counts when someone installed it. */
function systemCandidates(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const onPath = PATH_NAMES.flatMap((name) => dirs.map((dir) => join(dir, name)));
  const candidates = [...onPath, ...(process.platform === 'darwin' ? MAC_APPS : []), playwrightsOwn()];
  return [...new Set(candidates)].filter((path) => path !== '' && existsSync(path));
}

/** Where `npx playwright install chromium` would have put it ('' on a platform Playwright does not know). */
function playwrightsOwn(): string {
  try {
    return chromium.executablePath();
  } catch {
    return '';
  }
}

/** null when `<path> --version` runs; else what went wrong (a missing shared library, say). */
function versionFailure(path: string, env: Record<string, string>): string | null {
  const result = spawnSync(path, ['--version'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (result.error !== undefined) return result.error.message;
  if (result.status === 0) return null;
  return (result.stderr || result.stdout || `exit ${result.status ?? result.signal}`).trim();
}

async function bundledChromium(): Promise<ChromiumBinary> {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (build/index.js); bin/ sits beside build/ (source/paths.ts).
  const packageRoot = join(dirname(require.resolve('@sparticuz/chromium')), '..');
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const nodeModules = join(packageRoot, '..', '..');
  const dir = join(nodeModules, '.cache', 'ravi-orchestrator', `chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) await unpack(join(packageRoot, 'bin'), dir);
  const path = join(dir, 'chromium');
  // Fonts only where the system has no fontconfig setup: a system's own fonts are the better match.
  const fonts: Record<string, string> = existsSync('/etc/fonts/fonts.conf') ? {} : { FONTCONFIG_FILE: join(dir, 'fonts.conf') };
  if (versionFailure(path, fonts) === null) return { path, source: 'bundled', env: fonts };
  // A machine without NSS or expat (no Chromium was ever installed): the package's own copies, built for
  // Amazon Linux 2023 (glibc 2.34), serve any newer glibc too.
  const env = { ...fonts, LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  const failure = versionFailure(path, env);
  if (failure === null) return { path, source: 'bundled', env };
  throw new NoChromiumError(`the bundled Chromium (${path}) does not start, even with its own libraries: ${failure}`);
}

/**
 * Unpacks into a folder of its own and renames it into place, so test files that start at once never see
 * a half-written browser: the first rename wins, the others drop their copy.
 */
async function unpack(bin: string, dir: string): Promise<void> {
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  try {
    await Promise.all([
      pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(staging, 'chromium'))),
      untar(join(bin, 'al2023.tar.br'), staging), // lib/libnss3.so and friends
      untar(join(bin, 'fonts.tar.br'), join(staging, 'fonts')), // fonts/Open_Sans/*.ttf
    ]);
    await chmod(join(staging, 'chromium'), 0o755);
    const fontsDir = join(dir, 'fonts', 'fonts');
    const conf = `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${fontsDir}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`;
    await writeFile(join(staging, 'fonts.conf'), conf);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process got there first: its copy is complete (it was renamed whole).
    if (existsSync(join(dir, 'chromium'))) return;
    throw new NoChromiumError(`could not unpack the bundled Chromium from ${bin} into ${dir}`, { cause: error });
  }
}

/** A brotli-compressed tarball, through the system's tar (every Linux has one; this path is Linux-only). */
async function untar(archive: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  const tar = spawn('tar', ['-x', '-f', '-', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -x ${archive} exited ${code}: ${stderr.trim()}`))));
  });
  // tar stops reading at the archive's end marker and may exit before the padding after it is written: its exit
  // status is the verdict, and a pipe it closed then ("Premature close", EPIPE) is no failure. (A CI run failed on
  // that race.) A truncated or corrupt archive still fails: tar exits non-zero.
  const fed = pipeline(createReadStream(archive), createBrotliDecompress(), tar.stdin).then(() => null, (error: NodeJS.ErrnoException) => error);
  await exited;
  const feedError = await fed;
  if (feedError !== null && feedError.code !== 'EPIPE' && feedError.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw feedError;
}
