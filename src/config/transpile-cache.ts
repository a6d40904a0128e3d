/**
 * A per-user cache of transpiled .ts config files, so that a run whose config did not change never imports
 * `typescript`. An entry is named by a hash of the source, the typescript version and ENTRY_FORMAT, and holds
 * the JavaScript (with its import sites when portable: see portable-module.ts) or the syntax error; an edit
 * simply names another entry, so nothing is ever stale. Entries hold no path: one serves the same content anywhere.
 *
 * The cached JavaScript is run, so it is trusted only as far as the place it comes from: the folder must be
 * ours (owned by this user, not writable by group or others) and so must the entry (a regular file, not a
 * symlink). Whoever could still write it could already run code as this user. Not os.tmpdir(): that is shared,
 * and another user could plant a folder or an entry there first. Every failure here (unreadable, foreign,
 * corrupt) is a cache miss: the cache can cost a transpile, never a wrong config or a failed load.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { perUserDir } from './state-dir.js';
import type { ImportSite } from './portable-module.js';
import type { Transpiled } from './ts-transpile.js';

/** Bump when the transpile options or the entry layout change: older entries are then never read. */
const ENTRY_FORMAT = 2; // 2: `imports` (portable-module.ts)
const MAX_ENTRIES = 64;
const MAX_AGE_MS = 30 * 24 * 3600_000; // entries hold a copy of the config: do not keep old versions forever
const STALE_TEMP_MS = 60_000;
const ENTRY_NAME = /^[0-9a-f]{64}\.json$/;
const TEMP_NAME = /^[0-9a-f]{64}\.[0-9a-f-]{36}\.tmp$/;

export const CACHE_DIR_ENV = 'RAVI_ORCHESTRATOR_CACHE_DIR';

/**
 * `<cache>/ts-config`, where `<cache>` is `$RAVI_ORCHESTRATOR_CACHE_DIR` when set (tests rely on it), else
 * macOS `~/Library/Caches/ravi-orchestrator`, Windows `%LOCALAPPDATA%\ravi-orchestrator\Cache`,
 * elsewhere `$XDG_CACHE_HOME/ravi-orchestrator` or `~/.cache/ravi-orchestrator`.
 */
export function transpileCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const cache = perUserDir(
    { overrideVar: CACHE_DIR_ENV, macos: ['Caches', 'ravi-orchestrator'], windows: ['ravi-orchestrator', 'Cache'], xdgVar: 'XDG_CACHE_HOME', xdgDefault: ['.cache'] },
    env,
    platform,
    home,
  );
  return (platform === 'win32' ? path.win32 : path.posix).join(cache, 'ts-config');
}

/** The entry name for a source file's content; `extension` because .ts and .mts/.cts parse differently. */
export function cacheKey(content: string, extension: string, typescriptVersion: string): string {
  return createHash('sha256')
    .update(`ravi-orchestrator ts-config ${ENTRY_FORMAT}\0typescript ${typescriptVersion}\0${extension}\0`)
    .update(content)
    .digest('hex');
}

/** The cached result for `key`, or null on any miss (absent, not ours, corrupt). */
export async function readCached(dir: string, key: string): Promise<Transpiled | null> {
  try {
    if (!isOurs(await stat(dir), 'dir')) return null;
    // O_NOFOLLOW, and the checks on the opened file itself, leave no window to swap the entry for a link.
    const handle = await open(path.join(dir, `${key}.json`), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      if (!isOurs(await handle.stat(), 'file')) return null;
      return decode(await handle.readFile('utf8'), key);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** Stores `value` under `key` (0600, written whole then renamed); failures are ignored. */
export async function writeCached(dir: string, key: string, value: Transpiled): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!isOurs(await stat(dir), 'dir')) return;
    const temp = path.join(dir, `${key}.${randomUUID()}.tmp`);
    await writeFile(temp, encode(key, value), { mode: 0o600, flag: 'wx' });
    await rename(temp, path.join(dir, `${key}.json`)).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    });
    await prune(dir);
  } catch {
    // A cache that cannot be written only costs the next run another transpile.
  }
}

function isOurs(info: Stats, kind: 'dir' | 'file'): boolean {
  if (kind === 'dir' ? !info.isDirectory() : !info.isFile()) return false;
  const uid = process.getuid?.();
  if (uid === undefined) return true; // Windows: %LOCALAPPDATA% is per user, and modes mean nothing there
  return info.uid === uid && (info.mode & 0o022) === 0;
}

interface Entry {
  readonly format: number;
  readonly key: string;
  readonly digest: string;
  readonly js?: string;
  readonly imports?: readonly ImportSite[] | null;
  readonly syntaxError?: string;
}

function encode(key: string, value: Transpiled): string {
  const entry: Entry = value.ok
    ? { format: ENTRY_FORMAT, key, digest: digest(key, 'js', jsPayload(value.js, value.imports ?? null)), js: value.js, imports: value.imports ?? null }
    : { format: ENTRY_FORMAT, key, digest: digest(key, 'syntaxError', value.syntaxError), syntaxError: value.syntaxError };
  return JSON.stringify(entry);
}

function decode(text: string, key: string): Transpiled | null {
  const entry = JSON.parse(text) as Partial<Entry> | null;
  if (entry?.format !== ENTRY_FORMAT || entry.key !== key) return null; // another format, or copied from another name
  // The digest catches a damaged file that is still valid JSON; it is no defence against a writer (see above).
  if (typeof entry.js === 'string' && entry.digest === digest(key, 'js', jsPayload(entry.js, entry.imports ?? null))) {
    if (entry.imports === undefined || entry.imports === null) return { ok: true, js: entry.js };
    return areImportSites(entry.imports) ? { ok: true, js: entry.js, imports: entry.imports } : null;
  }
  if (typeof entry.syntaxError === 'string' && entry.digest === digest(key, 'syntaxError', entry.syntaxError)) {
    return { ok: false, syntaxError: entry.syntaxError };
  }
  return null;
}

/** The digest covers the import sites too: they say where the code is rewritten. */
function jsPayload(js: string, imports: readonly ImportSite[] | null): string {
  return `${JSON.stringify(imports)}\0${js}`;
}

function areImportSites(value: unknown): value is ImportSite[] {
  return Array.isArray(value) && value.every((site: Partial<ImportSite> | null) =>
    Number.isSafeInteger(site?.start) && Number.isSafeInteger(site?.end) && typeof site?.specifier === 'string');
}

function digest(key: string, kind: string, payload: string): string {
  return createHash('sha256').update(`${key}\0${kind}\0`).update(payload).digest('hex');
}

/** Keeps the newest MAX_ENTRIES entries younger than MAX_AGE_MS, and removes temp files a killed write left. */
async function prune(dir: string): Promise<void> {
  const now = Date.now();
  const entries: { file: string; mtimeMs: number }[] = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const isEntry = ENTRY_NAME.test(name);
    if (!isEntry && !TEMP_NAME.test(name)) continue;
    const info = await stat(file).catch(() => null);
    if (info === null) continue;
    const age = now - info.mtimeMs;
    if (age > (isEntry ? MAX_AGE_MS : STALE_TEMP_MS)) await rm(file, { force: true });
    else if (isEntry) entries.push({ file, mtimeMs: info.mtimeMs });
  }
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { file } of entries.slice(MAX_ENTRIES)) await rm(file, { force: true });
}
