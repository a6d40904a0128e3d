/** Where the ledger, lock and local provider live by default, and the `~` expansion config paths share. */
import os from 'node:os';
import path from 'node:path';

export const STATE_DIR_ENV = 'RAVI_ORCHESTRATOR_STATE_DIR';
export const CACHE_DIR_ENV = 'RAVI_ORCHESTRATOR_CACHE_DIR';
const APP = 'ravi-orchestrator';

/**
 * The default state dir: `$RAVI_ORCHESTRATOR_STATE_DIR` when set (tests and sandboxes rely on it), else
 * macOS `~/Library/Application Support/ravi-orchestrator`, Windows `%LOCALAPPDATA%\ravi-orchestrator`,
 * elsewhere `$XDG_STATE_HOME/ravi-orchestrator` or `~/.local/state/ravi-orchestrator`.
 * A configured `stateDir` or `--state-dir` wins over all of these.
 */
export function defaultStateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  return perUserDir(
    { overrideVar: STATE_DIR_ENV, macos: ['Application Support', APP], windows: [APP], xdgVar: 'XDG_STATE_HOME', xdgDefault: ['.local', 'state'] },
    env,
    platform,
    home,
  );
}

/**
 * `<cache>/<name>`, where `<cache>` is `$RAVI_ORCHESTRATOR_CACHE_DIR` when set (tests rely on it), else
 * macOS `~/Library/Caches/ravi-orchestrator`, Windows `%LOCALAPPDATA%\ravi-orchestrator\Cache`,
 * elsewhere `$XDG_CACHE_HOME/ravi-orchestrator` or `~/.cache/ravi-orchestrator`.
 */
export function userCacheDir(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const cache = perUserDir(
    { overrideVar: CACHE_DIR_ENV, macos: ['Caches', APP], windows: [APP, 'Cache'], xdgVar: 'XDG_CACHE_HOME', xdgDefault: ['.cache'] },
    env,
    platform,
    home,
  );
  return (platform === 'win32' ? path.win32 : path.posix).join(cache, name);
}

/** A per-user folder of ours, by platform convention (state, cache, ...). */
export interface PerUserDirSpec {
  /** An environment variable that, when set, is the folder (`~` expanded). */
  readonly overrideVar: string;
  /** Under `~/Library` on macOS. */
  readonly macos: readonly string[];
  /** Under `%LOCALAPPDATA%` on Windows. */
  readonly windows: readonly string[];
  /** Elsewhere: `$<xdgVar>/ravi-orchestrator`, or `~/<xdgDefault>/ravi-orchestrator`. */
  readonly xdgVar: string;
  readonly xdgDefault: readonly string[];
}

export function perUserDir(spec: PerUserDirSpec, env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  const pathFor = platform === 'win32' ? path.win32 : path.posix;
  const override = env[spec.overrideVar];
  if (override) return pathFor.resolve(expandHome(override, home));
  if (platform === 'darwin') return pathFor.join(home, 'Library', ...spec.macos);
  if (platform === 'win32') return pathFor.join(env['LOCALAPPDATA'] || pathFor.join(home, 'AppData', 'Local'), ...spec.windows);
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env[spec.xdgVar];
  return pathFor.join(xdg && pathFor.isAbsolute(xdg) ? xdg : pathFor.join(home, ...spec.xdgDefault), APP);
}

/** `~` and `~/x` (or `~\x`) become paths under `home`; anything else is returned unchanged. */
export function expandHome(raw: string, home: string = os.homedir()): string {
  if (raw === '~') return home;
  if (raw.startsWith('~/') || raw.startsWith('~\\')) return path.join(home, raw.slice(2));
  return raw;
}

/** An absolute path for a user-written one: `~` expanded, relative paths taken from `baseDir`. */
export function resolveUserPath(raw: string, baseDir: string, home: string = os.homedir()): string {
  return path.resolve(baseDir, expandHome(raw, home));
}
