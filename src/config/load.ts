/**
 * `loadConfig`: finds the config file (cosmiconfig, from cwd up to the home dir) or loads the explicit one,
 * applies CLI overrides, validates (normalize.ts) and applies the defaults (defaults.ts). Load failures become
 * ConfigErrors that name the file and the cause, without echoing file contents (a code frame could show a
 * pasted token). Start-up cost: cosmiconfig is loaded only for a candidate that is not a plain JSON file (YAML,
 * JS, TS, package.json), and the schema only for a config it has not accepted before (valid-config-cache.ts); no file
 * means the defaults.
 */
import { readFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { CosmiconfigResult, PublicExplorer } from 'cosmiconfig';
import { ConfigError } from '../util/errors.js';
import { applyDefaults } from './defaults.js';
import { MODULE_NAME, candidatePlaces, SEARCH_PLACES } from './search-places.js';
import { resolveUserPath } from './state-dir.js';
import type { Config, RawConfig } from './types.js';
import { validateWithCache } from './valid-config-cache.js';

export { MODULE_NAME, SEARCH_PLACES };

export interface LoadConfigOptions {
  /** An explicit config file (`--config`), resolved against `cwd`; null or absent to search for one. */
  readonly configFile?: string | null;
  /** Where the search starts; relative CLI paths are resolved against it. */
  readonly cwd: string;
  /** The repo the command runs in, used when the config lists no repos. */
  readonly defaultRepo: string | null;
  /** CLI flags (`--repo`, `--state-dir`) that replace the config's values; relative to `cwd`. */
  readonly overrides?: { readonly repos?: readonly string[]; readonly stateDir?: string };
  /**
   * Where to search next when nothing is found upwards from cwd: the main worktree of the repo cwd is
   * in, because linked worktrees often live elsewhere (`~/.superset/worktrees/...`) and an uncommitted
   * config at the main repo root must still apply to them.
   */
  readonly fallbackDirs?: readonly string[];
}

export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const cwd = path.resolve(options.cwd);
  const found = options.configFile
    ? await loadExplicit(resolveUserPath(options.configFile, cwd))
    : await searchWithFallbacks([cwd, ...(options.fallbackDirs ?? [])]);
  const raw = applyOverrides(found?.config, options.overrides ?? {}, cwd);
  const overrides = applyOverrides(undefined, options.overrides ?? {}, cwd);
  const file = found?.filepath ?? null;
  return applyDefaults(await validated(raw, file, { fileConfig: found?.config, overrides }), { file, defaultRepo: options.defaultRepo, cwd });
}

/**
 * The config with the command line's overrides, as the schema returns it; the schema (normalize.ts) loads only when
 * no shortcut knows the answer. A file's config is remembered as valid on its own, its overrides checked
 * apart: `--worktree PATH` (a setup script, a new path each time) and `--repo` would otherwise make every
 * such call a cache miss that loads and runs the schema (about 40 ms on Node 20; 110 ms when it was zod).
 */
async function validated(raw: unknown, file: string | null, parts: { fileConfig: unknown; overrides: unknown }): Promise<RawConfig> {
  const { fileConfig, overrides } = parts;
  if (file === null) return commandLineOnly(raw) ?? validateWithSchema(raw, file);
  const checkedOverrides = commandLineOnly(overrides);
  if (overrides === undefined || checkedOverrides === null || !isPlainObject(fileConfig)) return validateWithCache(raw, () => validateWithSchema(raw, file));
  const valid = await validateWithCache(fileConfig, () => validateWithSchema(fileConfig, file));
  return { ...valid, ...checkedOverrides };
}

async function validateWithSchema(raw: unknown, file: string | null): Promise<RawConfig> {
  return (await import('./normalize.js')).validateRawConfig(raw, file);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Without a config file the only keys are the command line's `--repo` and `--state-dir`: valid when each
 * is a non-empty string once trimmed, as the schema's `nonEmpty` says (it returns them trimmed). Null when
 * anything else is there: the schema then decides and says what is wrong.
 */
function commandLineOnly(raw: unknown): RawConfig | null {
  if (raw === undefined) return {};
  const { repos, stateDir, ...rest } = raw as { repos?: unknown; stateDir?: unknown };
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  if (Object.keys(rest).length > 0) return null;
  const trimmedRepos = Array.isArray(repos) ? repos.map(text) : repos === undefined ? [] : [null];
  const trimmedStateDir = stateDir === undefined ? undefined : text(stateDir);
  if (trimmedRepos.includes(null) || trimmedStateDir === null) return null;
  return { ...(repos !== undefined && { repos: trimmedRepos as string[] }), ...(trimmedStateDir !== undefined && { stateDir: trimmedStateDir }) };
}

let explorer: Promise<PublicExplorer> | null = null;

/** One explorer per process (it caches nothing: `cache: false`), made on first use. */
function loadExplorer(): Promise<PublicExplorer> {
  explorer ??= import('cosmiconfig').then(({ cosmiconfig, defaultLoaders }) => createExplorer(cosmiconfig, defaultLoaders));
  return explorer;
}

function createExplorer(cosmiconfig: typeof import('cosmiconfig').cosmiconfig, defaultLoaders: typeof import('cosmiconfig').defaultLoaders): PublicExplorer {
  return cosmiconfig(MODULE_NAME, {
    searchPlaces: [...SEARCH_PLACES],
    searchStrategy: 'none', // one folder per search() call; searchUpwards walks (cosmiconfig's 'global' also reads ~/.config)
    cache: false, // the daemon reloads after edits
    loaders: { ...defaultLoaders, '.json': (filepath, content) => loadJsonPlainly(filepath, content, defaultLoaders['.json']), '.js': loadJsFresh, '.mjs': loadJsFresh, '.cjs': loadJsFresh, '.ts': loadTs },
  });
}

async function searchWithFallbacks(dirs: readonly string[]): Promise<Found | null> {
  for (const dir of dirs) {
    const found = await searchUpwards(path.resolve(dir), os.homedir());
    if (found !== null) return found;
  }
  return null;
}

async function searchUpwards(from: string, stopDir: string): Promise<Found | null> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const places = await candidatePlaces(dir);
    const plain = places.length > 0 ? await readPlainJson(path.join(dir, places[0] as string)) : null;
    if (plain !== null) return plain;
    const result = places.length > 0 ? await run(async () => (await loadExplorer()).search(dir), null) : null;
    if (result !== null) return found(result);
    if (dir === stopDir || path.dirname(dir) === dir) return null;
  }
}

async function loadExplicit(file: string): Promise<Found> {
  const info = await stat(file).catch(() => null);
  if (info === null) throw new ConfigError(`Config file not found: ${file} (given with --config)`, { file });
  if (info.isDirectory()) throw new ConfigError(`Config file ${file} is a folder; pass the file itself`, { file });
  const plain = await readPlainJson(file);
  if (plain !== null) return plain;
  const result = await run(async () => (await loadExplorer()).load(file), file);
  if (result === null) {
    throw new ConfigError(`Config file ${file} has no "${MODULE_NAME}" key`, { file, issues: [`no "${MODULE_NAME}" key`] });
  }
  return found(result);
}

/**
 * A JSON config file (not package.json) read without cosmiconfig, whose loading costs about 20 ms of a
 * command's start-up: what cosmiconfig would return for it. Null for anything else, for an empty file and for
 * JSON that does not parse, so that cosmiconfig decides and its messages name the problem.
 */
async function readPlainJson(file: string): Promise<Found | null> {
  if (path.extname(file) !== '.json' || path.basename(file) === 'package.json') return null;
  try {
    const text = readFileSync(file, 'utf8'); // small, and nothing else to do meanwhile: no thread-pool round trips
    if (text.trim() === '') return null;
    return { filepath: path.resolve(file), config: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

interface Found {
  readonly filepath: string;
  readonly config: unknown;
}

const NO_DEFAULT_EXPORT = 'the file exports no config: write `export default defineConfig({ ... })`';

function found(result: NonNullable<CosmiconfigResult>): Found {
  const filepath = path.resolve(result.filepath);
  if (result.isEmpty && /\.[cm]?[jt]s$/.test(filepath)) {
    // Only an explicit --config gets here: the search skips empty files.
    throw new ConfigError(`Cannot load config file ${filepath}: ${NO_DEFAULT_EXPORT}`, { file: filepath, issues: [NO_DEFAULT_EXPORT] });
  }
  return { filepath, config: result.isEmpty ? {} : (result.config as unknown) };
}

/** Runs a cosmiconfig call, turning its failures into a ConfigError that names the file. */
async function run(call: () => Promise<CosmiconfigResult>, file: string | null): Promise<CosmiconfigResult> {
  try {
    return await call();
  } catch (error) {
    const where = (error as { filepath?: unknown }).filepath;
    const failed = typeof where === 'string' ? where : file;
    const reason = describeLoadError(error);
    const message = failed === null ? `Cannot load config: ${reason}` : `Cannot load config file ${failed}: ${reason}`;
    throw new ConfigError(message, { file: failed, issues: [reason], cause: error });
  }
}

function applyOverrides(raw: unknown, overrides: NonNullable<LoadConfigOptions['overrides']>, cwd: string): unknown {
  const repos = overrides.repos?.length ? overrides.repos : undefined;
  const stateDir = overrides.stateDir;
  if (repos === undefined && stateDir === undefined) return raw;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) return raw; // reported by normalize
  // Resolved here, against cwd: normalize would take relative paths from the config file's folder.
  const absolute = (p: string) => (p.trim() === '' ? p : resolveUserPath(p, cwd));
  return {
    ...(raw as object | undefined),
    ...(repos && { repos: repos.map(absolute) }),
    ...(stateDir !== undefined && { stateDir: absolute(stateDir) }),
  };
}

/**
 * The cause's first meaningful line: cosmiconfig's "X Error in <file>:" header, code frames and JSON's
 * "while parsing '<content>'" are dropped.
 */
function describeLoadError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  // Colours appear when the environment says the terminal supports them (CI=true does): strip
  // them first, or the code-frame filter below misses lines that quote the file (and its tokens).
  const text = stripVTControlCharacters(error instanceof Error ? error.message : String(error));
  const line = text
    .split('\n')
    .filter((l) => !/^(JSON|YAML|TypeScript) Error in .*:\s*$/.test(l) && !/^\s*(>\s*)?\d*\s*\|/.test(l) && !/^-*\^/.test(l))
    .map((l) => l.replace(/ while parsing .*$/, '').replace(/, ".*" is not valid JSON$/, ' (not valid JSON)').trim())
    .find((l) => l !== '');
  let reason = line ?? 'unknown error';
  if (code === 'ERR_INTERNAL_ASSERTION') reason = 'syntax error Node gives no details for (e.g. a name declared twice)';
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && reason.includes(`'${MODULE_NAME}'`)) {
    reason += `; install it in this project (npm i -D ${MODULE_NAME}) or export a plain object instead of using defineConfig`;
  }
  return reason.length > 300 ? `${reason.slice(0, 297)}...` : reason;
}

/**
 * JSON.parse first: cosmiconfig's JSON loader (parse-json) loads @babel/code-frame and four more modules
 * for its error messages. Text JSON.parse refuses (a syntax error, a byte-order mark) goes to that loader,
 * which reads the same values and reports errors as it always did.
 */
function loadJsonPlainly(filepath: string, content: string, loadJson: (filepath: string, content: string) => unknown): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return loadJson(filepath, content);
  }
}

const requireCache = createRequire(import.meta.url).cache;
let loadCount = 0;

/** import() without cosmiconfig's require() fallback (which hides ESM syntax errors on Node >= 20.19), and fresh on reload. */
async function loadJsFresh(filepath: string, content: string): Promise<unknown> {
  const real = await realpath(filepath);
  delete requireCache[real]; // CommonJS configs are cached by path, ESM ones by URL (hence the query)
  const url = pathToFileURL(real);
  url.search = `?load=${Date.now()}-${++loadCount}`;
  return withDefaultExport(await withSyntaxCheck(filepath, content, async () => ((await (await import('./import-file.js')).importFile(url.href)) as { default?: unknown }).default));
}

/** A .ts config through jiti (ts-loader.ts, imported only when a .ts config is loaded). */
async function loadTs(filepath: string, content: string): Promise<unknown> {
  return withDefaultExport(await withSyntaxCheck(filepath, content, async () => (await (await import('./ts-loader.js')).importWithJiti(filepath)).default));
}

/**
 * Runs `load`; when it fails and the file does not parse, throws a SyntaxError that says where instead:
 * Node's own has no line number (only its stack has, beside the offending line, which could hold a token).
 */
async function withSyntaxCheck(filepath: string, content: string, load: () => Promise<unknown>): Promise<unknown> {
  try {
    return await load();
  } catch (error) {
    const { findSyntaxError } = await import('./ts-loader.js');
    const syntaxError = findSyntaxError(filepath, content);
    throw syntaxError === null ? error : new SyntaxError(syntaxError, { cause: error });
  }
}

// cosmiconfig would skip a file whose default export is missing as if it were empty: say so instead.
function withDefaultExport(value: unknown): unknown {
  if (value === undefined) throw new Error(NO_DEFAULT_EXPORT);
  return value;
}
