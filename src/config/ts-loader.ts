/**
 * `importWithJiti`: a .ts config's exports, through jiti (https://github.com/unjs/jiti, the loader behind
 * cosmiconfig-typescript-loader and much of the ecosystem). Babel strips the types and jiti runs the result in
 * place, so relative and bare imports (`ravi-orchestrator` for defineConfig) and `import.meta.url` resolve from
 * the config's own folder, and nothing is written next to it. jiti keeps the transpiled code in a cache folder
 * of this user's (one entry per config path, replaced when the source changes), so a repeat run neither
 * transpiles nor loads Babel.
 *
 * Not Node's own type stripping (unflagged from 22.18): Node 20 lacks it, it accepts less TypeScript (no
 * enums; type-only imports must say `type`), so a config would load on one Node and fail on another, and
 * measured here it costs more per run than a jiti cache hit (it compiles its WebAssembly parser every time).
 */
import { mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userCacheDir } from './state-dir.js';

// require(), not import: Node scans a CommonJS file imported from ESM for its export names, which for jiti's
// 190 kB bundle took longer than loading it (measured: see the commit that brought jiti).
const { createJiti } = createRequire(import.meta.url)('jiti') as typeof import('jiti');

/** The module's exports (its default export is the config). */
export async function importWithJiti(filepath: string): Promise<{ readonly default?: unknown }> {
  const jiti = createJiti(import.meta.url, {
    fsCache: await privateCacheDir(),
    moduleCache: false, // every load runs the current file: the daemon reloads after an edit
    interopDefault: false, // a missing default export must stay missing (load.ts reports it)
  });
  return jiti.import<{ default?: unknown }>(filepath);
}

/**
 * "syntax error at line L, column C: reason" when `source` does not parse as the kind of file `filepath`
 * names (TypeScript or JavaScript), else null. Parse only: nothing runs. Babel's error is read from its
 * fields (`loc`, 1-based line and 0-based column) and the first line of its message, never the code frame
 * (which could show a token); jiti's `transform` option is the documented hook that returns it.
 */
export function findSyntaxError(filepath: string, source: string): string | null {
  const transform = createJiti(import.meta.url, { fsCache: false }).options.transform;
  const error = transform?.({ source, filename: filepath, ts: /\.[cm]?tsx?$/.test(filepath), async: true }).error as BabelError | undefined;
  if (error?.loc === undefined) return null;
  const reason = (error.message ?? '').split('\n')[0]?.replace(/^.*?: /, '').replace(/ \(\d+:\d+\)$/, '');
  return `syntax error at line ${error.loc.line}, column ${error.loc.column + 1}: ${reason || 'cannot parse'}`;
}

interface BabelError {
  readonly message?: string;
  readonly loc?: { readonly line: number; readonly column: number };
}

/**
 * `<cache>/jiti`, or false (no cache) when it is not ours alone. Its entries are run, so the folder must be
 * owned by this user and not writable by group or others; jiti's own default (node_modules/.cache, or a
 * shared /tmp/jiti another user could create first) is neither. A cache that cannot be had costs a transpile.
 */
async function privateCacheDir(): Promise<string | false> {
  const dir = userCacheDir('jiti');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    const uid = process.getuid?.();
    // Windows has no uid: %LOCALAPPDATA% is per user, and modes mean nothing there.
    const ours = info.isDirectory() && (uid === undefined || (info.uid === uid && (info.mode & 0o022) === 0));
    return ours ? dir : false;
  } catch {
    return false;
  }
}
