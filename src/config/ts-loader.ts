/**
 * `loadTsConfigFile`: the cosmiconfig loader for .ts config files, in place of cosmiconfig's own, which
 * imports `typescript` (about a third of a second) on every load and transpiles without looking at syntax
 * errors (`repos: [` silently becomes `repos: []`). Here a syntax error is reported with its line and column,
 * and the transpiled result is cached per user, so an unchanged config never imports `typescript`.
 *
 * Not Node's own type stripping (22.18+): Node 20 lacks it, and it runs a different TypeScript (no enums,
 * type-only imports must say `type`), so a config would load on one Node and fail on another.
 *
 * A portable config (no dynamic import, no import.meta, only builtin, relative and `ravi-orchestrator`
 * imports: see portable-module.ts) runs from a data: URL with its imports made absolute, so a run writes
 * nothing next to it; any other runs from a temp file next to it (`importNextTo`).
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { portableModuleUrl, type ImportSite } from './portable-module.js';
import { cacheKey, readCached, transpileCacheDir, writeCached } from './transpile-cache.js';
import { transpileChecked, typescriptVersion, type Transpiled } from './ts-transpile.js';

/** The config's default export (undefined if it has none); throws a SyntaxError with line and column. */
export async function loadTsConfigFile(filepath: string, content: string): Promise<unknown> {
  await removeStaleTempFiles(filepath);
  const result = await transpileCached(filepath, content);
  if (!result.ok) throw new SyntaxError(result.syntaxError);
  if (result.imports !== undefined) {
    const loaded = await importPortable(filepath, result.js, result.imports);
    if (loaded !== NOT_HERE) return loaded;
  }
  return importNextTo(filepath, result.js);
}

const NOT_HERE = Symbol('not portable here');

/**
 * Runs portable JavaScript without writing a file, or returns NOT_HERE when an import does not resolve from
 * here (a moved config whose `./repos.js` stayed behind, a ravi-orchestrator this cannot resolve exactly as
 * Node would) or the import fails with ERR_MODULE_NOT_FOUND: the temp file then runs it, and Node reports
 * its own error, worded as before. The direct imports were found to exist just now, so that error normally
 * comes from linking a deeper import, before any of the graph runs; only a function the config calls that
 * imports a missing module at run time would see the config run twice (and fail the same way again).
 */
async function importPortable(filepath: string, js: string, imports: readonly ImportSite[]): Promise<unknown> {
  const url = await portableModuleUrl(filepath, js, imports, randomUUID()).catch(() => null);
  if (url === null) return NOT_HERE;
  try {
    return ((await import(url)) as { default?: unknown }).default;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND') return NOT_HERE;
    throw error;
  }
}

async function transpileCached(filepath: string, content: string): Promise<Transpiled> {
  const dir = transpileCacheDir();
  const key = cacheKey(content, path.extname(filepath), typescriptVersion());
  const cached = await readCached(dir, key);
  if (cached !== null) return cached;
  const fresh = await transpileChecked(filepath, content);
  await writeCached(dir, key, fresh);
  return fresh;
}

/**
 * Runs the JavaScript from a temp file next to the config, so that its relative imports, its bare ones
 * (`ravi-orchestrator` for defineConfig) and `import.meta.url` resolve as the .ts file's would: a data: URL
 * resolves neither kind, and a file in the cache folder would resolve them from the wrong place. The unique
 * name is also what keeps Node's module cache from returning the previous version after an edit.
 */
async function importNextTo(filepath: string, js: string): Promise<unknown> {
  const temp = `${filepath}.${randomUUID()}.mjs`;
  await writeFile(temp, js, { flag: 'wx', mode: 0o600 });
  try {
    return ((await import(pathToFileURL(temp).href)) as { default?: unknown }).default;
  } finally {
    await rm(temp, { force: true });
  }
}

const STALE_TEMP_MS = 60_000;

/** A process killed during `importNextTo` leaves its temp file behind: remove those (and cosmiconfig's, same name). */
async function removeStaleTempFiles(configFile: string): Promise<void> {
  const dir = path.dirname(configFile);
  const prefix = `${path.basename(configFile)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\.[0-9a-f-]{36}\.mjs$/.test(name.slice(prefix.length - 1))) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    // Only old ones: a younger file may belong to a load running in another process right now.
    if (info !== null && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
  }
}
