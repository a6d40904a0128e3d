/**
 * Where a config may live in one folder, and a cheap listing of the candidates a folder holds, so that the
 * search loads cosmiconfig only for a folder that has one (most folders on the way up have none).
 */
import { readdirSync, readFileSync } from 'node:fs';
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
 * The places in `dir` where cosmiconfig could find a config, in its search order: files at SEARCH_PLACES, and a
 * package.json unless it plainly lacks the key. When in doubt a place is kept (cosmiconfig then decides, and
 * reports errors). Names compare without case: a case-insensitive file system finds `Package.json` too.
 */
export async function candidatePlaces(dir: string): Promise<string[]> {
  const names = await lowerNames(dir);
  if (names.size === 0) return [];
  const dotConfig = names.has('.config') ? await lowerNames(path.join(dir, '.config')) : new Set<string>();
  const present = SEARCH_PLACES.filter((place) => (place.startsWith('.config/') ? dotConfig.has(place.slice(8).toLowerCase()) : names.has(place.toLowerCase())));
  if (present[0] === 'package.json' && !(await packageMayHoldKey(path.join(dir, 'package.json')))) present.shift();
  return present;
}

// Listed synchronously, like the small reads below: an asynchronous listing is several round trips through the
// thread pool, and a command's start-up waits for nothing else meanwhile (issue 16).
async function lowerNames(dir: string): Promise<Set<string>> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    entries = [];
  }
  return new Set(entries.map((name) => name.toLowerCase()));
}

/** cosmiconfig skips a package.json whose parsed object has no (non-null) MODULE_NAME key; anything else is its to read. */
async function packageMayHoldKey(file: string): Promise<boolean> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed !== 'object' || parsed === null || (parsed as Record<string, unknown>)[MODULE_NAME] != null;
  } catch {
    return true;
  }
}
