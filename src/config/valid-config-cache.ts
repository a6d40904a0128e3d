/**
 * Configs the schema has accepted, remembered by content: a command whose config has not changed since
 * it was last validated skips loading the schema (valibot, picomatch, ms: about 40 ms on Node 20, measured
 * 2026-12-01; it was 125 ms with zod) and reads back what
 * the schema returned (it trims some strings). The key is the config as JSON (key order kept: it orders
 * env.vars) and this build's schema files, so an edited config or an upgraded schema is validated again. A
 * config that is not plain JSON data (functions, undefined, class instances from a .ts config) is never
 * cached; one that fails validation is never stored. A missing or unwritable cache only costs the time.
 *
 * An entry holds its key whole and is used only when that is the key now, character for character; its file is
 * named by a 64-bit FNV-1a hash of the key, so two keys with one name only take turns in one file. A SHA-256 of
 * the key cost every command about 2 ms (interpreted, as its code runs once per process) for the same answer.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { userCacheDir } from './state-dir.js';
import type { RawConfig } from './types.js';

/** The modules that decide validity: their text stamps the schema (scripts/build-cli.mjs reads this list). */
export const SCHEMA_STAMP_MODULES = ['schema', 'names', 'duration'] as const;

/**
 * The schema's stamp in the built program: scripts/build-cli.mjs replaces this null with a hash of the text of the
 * SCHEMA_STAMP_MODULES (and the valibot version it bundles), as it puts two of them and this module into the file
 * every command loads, where they have no files of their own to look at: three files fewer to load at start-up
 * (`whoami`, `otp`). Where it stays null (tsc's output, which the tests load) the files are stamped by size and mtime.
 */
const BUILT_SCHEMA_STAMP: string | null = null;

/** Entries kept before the folder is cleared (each is a config version; a few hundred bytes). */
const MAX_ENTRIES = 100;

/** A cache file: the key it was validated under, and what the schema gave back. */
interface Entry {
  readonly key: string;
  readonly valid: RawConfig;
}

export async function validateWithCache(raw: unknown, validate: () => Promise<RawConfig>): Promise<RawConfig> {
  const key = cacheKey(raw);
  if (key === null) return validate();
  const file = path.join(userCacheDir('valid-configs'), `${fnv1a64(key)}.json`);
  const hit = readHit(file, key);
  if (hit !== null) return hit;
  const valid = await validate();
  await store(file, { key, valid }).catch(() => undefined);
  return valid;
}

/** The entry's config when it was stored under `key` exactly (read synchronously: one read), or null. */
function readHit(file: string, key: string): RawConfig | null {
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry> | null;
    return entry?.key === key && typeof entry.valid === 'object' && entry.valid !== null ? entry.valid : null;
  } catch {
    return null;
  }
}

function cacheKey(raw: unknown): string | null {
  if (!isPlainJson(raw)) return null;
  const stamp = schemaStamp();
  if (stamp === null) return null;
  return `${stamp}\n${JSON.stringify(raw)}`;
}

/** 64-bit FNV-1a of the UTF-16 code units, as 16 hex digits: a file name, never a check (the entry holds its key). */
export function fnv1a64(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo ^= text.charCodeAt(i);
    // Times the FNV prime 2^40 + 0x1b3, in 32-bit halves: lo * 0x1b3 carries into hi; 2^40 shifts lo by 8 into hi.
    const loProduct = (lo >>> 0) * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 1 << 8) + Math.floor(loProduct / 2 ** 32)) >>> 0;
    lo = loProduct >>> 0;
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** This build's schema (the files that decide validity): the build's stamp, or else their sizes and modification times. */
function schemaStamp(): string | null {
  if (BUILT_SCHEMA_STAMP !== null) return BUILT_SCHEMA_STAMP;
  const ext = path.extname(fileURLToPath(import.meta.url)); // .js when built, .ts under the tests' loader
  try {
    const files = SCHEMA_STAMP_MODULES.map((name) => statSync(fileURLToPath(new URL(`./${name}${ext}`, import.meta.url))));
    return files.map((info) => `${info.size}:${info.mtimeMs}`).join(',');
  } catch {
    return null;
  }
}

/** Data JSON.stringify writes exactly and JSON.parse gives back unchanged: nothing dropped, nothing converted. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return Object.keys(value).length === value.length && value.every(isPlainJson);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  return Object.values(descriptors).every((d) => d.enumerable === true && 'value' in d && isPlainJson(d.value));
}

async function store(file: string, entry: Entry): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const entries = await readdir(dir);
  if (entries.length >= MAX_ENTRIES) await Promise.all(entries.map((name) => rm(path.join(dir, name), { force: true })));
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(entry), { mode: 0o600 });
  await rename(temp, file);
}
