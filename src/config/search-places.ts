/**
 * Where a config may live in one folder, and a cheap test of whether a folder holds any such file, so that
 * the search loads cosmiconfig only for a folder that has a candidate (most folders on the way up have none).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const MODULE_NAME = 'ravi-orchestrator';

/**
 * Every place a config may live in one folder, in cosmiconfig's order plus our .json/.yaml config names.
 * The first 21 are cosmiconfig 9's getDefaultSearchPlaces(MODULE_NAME) (cosmiconfig src/defaults.ts), written
 * out so the search does not load cosmiconfig; test/unit/config-search-places.test.ts checks they agree.
 */
export const SEARCH_PLACES: readonly string[] = [
  'package.json',
  ...['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map((ext) => `.${MODULE_NAME}rc${ext}`),
  ...['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map((ext) => `.config/${MODULE_NAME}rc${ext}`),
  ...['.js', '.ts', '.cjs', '.mjs'].map((ext) => `${MODULE_NAME}.config${ext}`),
  `${MODULE_NAME}.config.json`,
  `${MODULE_NAME}.config.yaml`,
  `${MODULE_NAME}.config.yml`,
];

/**
 * Whether cosmiconfig could find a config in `dir`: a file at one of SEARCH_PLACES, or a package.json that
 * does not plainly lack the key. When in doubt it says yes (cosmiconfig then decides, and reports errors).
 * Names compare without case: a case-insensitive file system finds `Package.json` too.
 */
export async function mayHoldConfig(dir: string): Promise<boolean> {
  const names = await lowerNames(dir);
  if (names.size === 0) return false;
  const dotConfig = names.has('.config') ? await lowerNames(path.join(dir, '.config')) : new Set<string>();
  const present = SEARCH_PLACES.filter((place) => (place.startsWith('.config/') ? dotConfig.has(place.slice(8).toLowerCase()) : names.has(place.toLowerCase())));
  if (present.length === 0) return false;
  if (present.length > 1 || present[0] !== 'package.json') return true;
  return packageMayHoldKey(path.join(dir, 'package.json'));
}

async function lowerNames(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir).catch(() => []);
  return new Set(entries.map((name) => name.toLowerCase()));
}

/** cosmiconfig skips a package.json whose parsed object has no (non-null) MODULE_NAME key; anything else is its to read. */
async function packageMayHoldKey(file: string): Promise<boolean> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof parsed !== 'object' || parsed === null || (parsed as Record<string, unknown>)[MODULE_NAME] != null;
  } catch {
    return true;
  }
}
