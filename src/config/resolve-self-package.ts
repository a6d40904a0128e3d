/**
 * `resolveRaviOrchestrator`: the file: URL that `import 'ravi-orchestrator'` in a module at `parent` would
 * load, following Node's ESM resolution (self-reference first, then the first node_modules/ravi-orchestrator
 * folder up the tree), or null for anything this does not reproduce exactly, so the caller falls back to a
 * real file next to the config and lets Node decide.
 *
 * Not createRequire(parent).resolve(): CommonJS also searches NODE_PATH and resolves the "require"
 * condition, where ESM does neither. Our own package.json "exports" is `{ ".": { "types", "default" } }`:
 * only "default" applies at run time, whichever resolver; an installed copy with any other condition, a
 * subpath map without ".", or no "exports" at all (legacy "main" lookup) is left to Node.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SELF_PACKAGE = 'ravi-orchestrator';

export async function resolveRaviOrchestrator(parent: URL): Promise<string | null> {
  const start = path.dirname(fileURLToPath(parent));
  // Self-reference: a config inside this package's own checkout imports the checkout (if it has "exports").
  const scope = await packageScope(start);
  if (scope !== null && scope.json.name === SELF_PACKAGE && scope.json.exports != null) return exportsTarget(scope.dir, scope.json);
  for (let dir = start; ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, 'node_modules', SELF_PACKAGE);
    if (await isDirectory(packageDir)) {
      const json = await readPackageJson(packageDir);
      return json === null ? null : exportsTarget(packageDir, json);
    }
    if (path.dirname(dir) === dir) return null;
  }
}

interface PackageJson {
  readonly name?: unknown;
  readonly exports?: unknown;
}

/** The nearest package.json up from `dir` (not past a node_modules folder), as Node's lookupPackageScope. */
async function packageScope(start: string): Promise<{ dir: string; json: PackageJson } | null> {
  for (let dir = start; path.basename(dir) !== 'node_modules'; dir = path.dirname(dir)) {
    const info = await stat(path.join(dir, 'package.json')).catch(() => null);
    if (info !== null) {
      const json = await readPackageJson(dir);
      return json === null ? null : { dir, json };
    }
    if (path.dirname(dir) === dir) return null;
  }
  return null;
}

async function readPackageJson(dir: string): Promise<PackageJson | null> {
  try {
    const json = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as unknown;
    return typeof json === 'object' && json !== null ? (json as PackageJson) : null;
  } catch {
    return null; // Node would throw ERR_INVALID_PACKAGE_CONFIG: let it, from the temp file
  }
}

/** The "." export when it is a plain string or `{ types?, default }`, as an existing file's URL; else null. */
async function exportsTarget(packageDir: string, json: PackageJson): Promise<string | null> {
  const exports = json.exports;
  const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  let dot: unknown = exports;
  if (isRecord(exports) && Object.keys(exports).some((key) => key.startsWith('.'))) {
    if (!Object.keys(exports).every((key) => key.startsWith('.'))) return null; // Node rejects a mixed map
    dot = exports['.'];
  }
  if (isRecord(dot)) {
    if (!Object.keys(dot).every((key) => key === 'types' || key === 'default')) return null;
    dot = dot['default'];
  }
  if (typeof dot !== 'string' || !dot.startsWith('./') || /[?#%\\*]/.test(dot) || dot.split('/').some((part) => part === '..' || part === 'node_modules')) {
    return null;
  }
  const file = path.join(packageDir, dot);
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? pathToFileURL(file).href : null;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}
