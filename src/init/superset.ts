/**
 * The Superset preset, pure: merging our commands into `.superset/config.json` (or the `config.local.json`
 * overlay) and rendering setup.sh / teardown.sh. No I/O here; write-init-files.ts reads and writes.
 */

export const SETUP_COMMAND = 'bash .superset/setup.sh';
export const TEARDOWN_COMMAND = 'bash .superset/teardown.sh';
/** The line that marks a script as ours (and so ours to rewrite). */
export const MANAGED_MARKER = '# managed by ravi-orchestrator';

export type SupersetConfigKind = 'shared' | 'local';

export interface MergeResult {
  /** The file's new text; the existing text itself, byte for byte, when nothing changed. */
  readonly content: string;
  readonly changed: boolean;
}

/** A config.json we must not touch: invalid JSON or a wrong type on a key Superset knows. */
export class SupersetConfigError extends Error {
  override readonly name = 'SupersetConfigError';
  readonly code = 'SUPERSET_CONFIG_INVALID';
  constructor(message: string, readonly file: string, readonly key: string | null, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Adds our setup command (after the existing ones) and teardown command (before them: the list runs joined with
 * ` && `, ours never fails, so going first means a failing team command cannot skip the release), unless the key
 * already runs our script. Everything else (`run`, `cwd`, unknown keys, other commands) is kept as it was.
 * `existing` null means the file does not exist. `file` only names the file in errors.
 */
export function mergeSupersetConfig(existing: string | null, kind: SupersetConfigKind, file: string): MergeResult {
  if (existing === null) {
    const fresh = kind === 'shared'
      ? { setup: [SETUP_COMMAND], teardown: [TEARDOWN_COMMAND] }
      : { setup: { after: [SETUP_COMMAND] }, teardown: { before: [TEARDOWN_COMMAND] } };
    return { content: serialize(fresh, '  '), changed: true };
  }
  const config = parseConfig(existing, file);
  validateKeys(config, kind, file);
  const setupChanged = addCommand(config, 'setup', SETUP_COMMAND, kind, 'after');
  const teardownChanged = addCommand(config, 'teardown', TEARDOWN_COMMAND, kind, 'before');
  if (!setupChanged && !teardownChanged) return { content: existing, changed: false };
  return { content: serialize(config, indentOf(existing)), changed: true };
}

type JsonObject = Record<string, unknown>;
type Wrap = { before?: string[]; after?: string[] } & JsonObject;

function addCommand(config: JsonObject, key: 'setup' | 'teardown', command: string, kind: SupersetConfigKind, side: 'before' | 'after'): boolean {
  const current = config[key] as string[] | Wrap | undefined;
  // An array replaces the base list (config.json always; the overlay may too): add to it in place.
  if (Array.isArray(current) || (current === undefined && kind === 'shared')) {
    const list = current ?? [];
    if (list.some((c) => runsScript(c, command))) return false;
    config[key] = side === 'after' ? [...list, command] : [command, ...list];
    return true;
  }
  // The overlay's wrap form: setup.after / teardown.before around the team's list.
  const wrap: Wrap = current ?? {};
  if ([...(wrap.before ?? []), ...(wrap.after ?? [])].some((c) => runsScript(c, command))) return false;
  wrap[side] = side === 'after' ? [...(wrap.after ?? []), command] : [command, ...(wrap.before ?? [])];
  config[key] = wrap;
  return true;
}

/** Does `command` already run the script `ours` runs (also as `./.superset/setup.sh` or from another folder)? */
function runsScript(command: string, ours: string): boolean {
  const script = ours.slice(ours.indexOf('.superset/'));
  return new RegExp(`(^|[^\\w.-])${script.replaceAll('.', '\\.')}(?![\\w.-])`).test(command);
}

function parseConfig(text: string, file: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SupersetConfigError(`${file} is not valid JSON (${(error as Error).message}); fix or remove it. Nothing was changed.`, file, null, { cause: error });
  }
  if (!isObject(value)) {
    throw new SupersetConfigError(`${file} must hold a JSON object, got ${describe(value)}. Nothing was changed.`, file, null);
  }
  return value;
}

/** Superset drops the whole file when a known key has the wrong type: refuse rather than build on it. */
function validateKeys(config: JsonObject, kind: SupersetConfigKind, file: string): void {
  for (const key of ['setup', 'teardown', 'run']) {
    const value = config[key];
    if (value === undefined || isStringArray(value)) continue;
    if (kind === 'local' && isObject(value)) {
      for (const side of ['before', 'after']) {
        const list = value[side];
        if (list !== undefined && !isStringArray(list)) fail(file, `${key}.${side}`, 'an array of strings', list);
      }
      continue;
    }
    fail(file, key, kind === 'local' ? 'an array of strings or {"before": [...], "after": [...]}' : 'an array of strings', value);
  }
  const cwd = config['cwd'];
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd.trim() === '')) fail(file, 'cwd', 'a non-empty string', cwd);
}

function fail(file: string, key: string, expected: string, value: unknown): never {
  const hint = typeof value === 'string' && key !== 'cwd' ? ` (write ${JSON.stringify([value])})` : '';
  throw new SupersetConfigError(
    `${file}: "${key}" must be ${expected}, got ${describe(value)}${hint}; Superset ignores the whole file otherwise. Nothing was changed.`,
    file,
    key,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array with a non-string item';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Keeps the file's own indentation (tabs, 4 spaces) when we rewrite it. */
function indentOf(text: string): string {
  return /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
}

function serialize(value: unknown, indent: string): string {
  return `${JSON.stringify(value, null, indent)}\n`;
}

/**
 * setup.sh: provisions this worktree's identity, then runs the project's install step (`--install`, kept verbatim
 * in single quotes). A failed reconcile, or no CLI at all (exit 127), does not skip the install; the script still
 * exits non-zero so Superset's setup terminal shows it. `install` null or '' means no install step.
 */
export function renderSetupScript(install: string | null): string {
  const installLines = install === null || install === ''
    ? []
    : ['', "# The project's install step (init --superset --install), run as given:", `install_command=${shellQuote(install)}`,
        'echo "ravi-orchestrator setup: running $install_command" >&2', 'bash -c "$install_command"'];
  return [
    ...header('setup', [
      "Superset workspace setup: gives this worktree its own agent identity and env file. Superset runs it",
      'from the new worktree (`bash .superset/setup.sh`); it is safe to re-run by hand. `reconcile` is fast and',
      'idempotent, and works with or without the ravi-orchestrator daemon running.',
    ]),
    ...findCli(),
    '',
    'status=0',
    'if [ -z "$cli" ]; then',
    `  echo "ravi-orchestrator setup: ${CLI_MISSING}" >&2`,
    '  status=127',
    'else',
    '  "$cli" reconcile --worktree "$PWD" || status=$?',
    '  if [ "$status" -ne 0 ]; then',
    '    echo "ravi-orchestrator setup: reconcile failed (exit $status); retry with: ravi-orchestrator reconcile --worktree \\"$PWD\\"" >&2',
    '  fi',
    'fi',
    ...installLines,
    '',
    'exit "$status"',
    '',
  ].join('\n');
}

/**
 * teardown.sh: releases this worktree's identity at once. Best effort by design: it always exits 0 (a failing
 * teardown must never block the delete; the daemon's orphan sweep is the safety net) and gives up after
 * TEARDOWN_LIMIT_S (+5 s to kill), inside Superset's 60 s.
 */
export function renderTeardownScript(): string {
  return [
    ...header('teardown', [
      "Superset workspace teardown: releases this worktree's agent identity at once (no grace period) before",
      'Superset deletes the worktree. Best effort: it always exits 0, so it never blocks the delete, and gives up',
      `after ${TEARDOWN_LIMIT_S} s (Superset kills teardown at 60 s). If it fails or never runs, the daemon's orphan`,
      'sweep ends the lease later (the identity returns to the pool).',
    ]),
    ...findCli(),
    'if [ -z "$cli" ]; then',
    `  echo "ravi-orchestrator teardown: ${CLI_MISSING}; the daemon's orphan sweep will delete this worktree's identity later" >&2`,
    '  exit 0',
    'fi',
    '',
    '# Runs "$@" for at most $1 seconds: timeout(1), gtimeout (Homebrew coreutils), else a watchdog (stock macOS).',
    'with_time_limit() {',
    '  local limit=$1',
    '  shift',
    '  if command -v timeout >/dev/null 2>&1; then',
    '    timeout -k 5 "$limit" "$@"',
    '  elif command -v gtimeout >/dev/null 2>&1; then',
    '    gtimeout -k 5 "$limit" "$@"',
    '  else',
    '    "$@" &',
    '    local pid=$!',
    '    ( sleep "$limit"; kill -TERM "$pid" 2>/dev/null ) </dev/null >/dev/null 2>&1 &',
    '    local watchdog=$! code=0',
    '    wait "$pid" || code=$?',
    '    kill "$watchdog" 2>/dev/null || true',
    '    return "$code"',
    '  fi',
    '}',
    '',
    'status=0',
    `with_time_limit ${TEARDOWN_LIMIT_S} "$cli" release --worktree "$PWD" || status=$?`,
    'if [ "$status" -ne 0 ]; then',
    `  echo "ravi-orchestrator teardown: release failed (exit $status; 124, 137 or 143: gave up after ${TEARDOWN_LIMIT_S} s); the daemon's orphan sweep will delete the identity later" >&2`,
    'fi',
    'exit 0',
    '',
  ].join('\n');
}

/** Seconds teardown waits for `release` (whose own lock wait is 45 s) before killing it. */
export const TEARDOWN_LIMIT_S = 50;

/** The install command of a setup.sh we rendered, null if it has none; throws if the line is not in our form. */
export function readInstallCommand(script: string, file: string): string | null {
  const line = script.split('\n').find((l) => l.startsWith('install_command='));
  if (line === undefined) return null;
  const match = /^install_command='((?:[^']|'\\'')*)'$/.exec(line);
  if (match?.[1] === undefined) {
    throw new Error(`${file}: cannot read its install_command line; pass --install CMD again (or --install '' for none)`);
  }
  return match[1].replaceAll("'\\''", "'");
}

export function isManagedScript(text: string): boolean {
  return text.split('\n').some((line) => line.trimEnd() === MANAGED_MARKER);
}

/** Single quotes keep every byte literal in bash; a `'` becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function header(kind: string, about: readonly string[]): string[] {
  return [
    '#!/usr/bin/env bash',
    MANAGED_MARKER,
    `# (\`ravi-orchestrator init --superset\` rewrites this file; remove the line above to make this ${kind}.sh yours.)`,
    '#',
    ...about.map((line) => `# ${line}`),
    '# The CLI comes from PATH, else from this project\'s own install (node_modules/.bin of this worktree or of the',
    '# main worktree); it is never downloaded. Portable: bash 3.2+ (macOS), no machine paths.',
    'set -euo pipefail',
    '',
  ];
}

/**
 * Sets `cli` to the CLI to run, or '' when there is none. Never `npx ravi-orchestrator` or any registry download:
 * the name is not ours on the npm registry, so whoever registered it would run their code in every workspace
 * setup. A project-local install is what `npx` would have found first anyway. The main worktree is the first
 * entry of `git worktree list --porcelain` (git-worktree(1)); a new worktree has no node_modules before its
 * install step, the main one usually has.
 */
function findCli(): string[] {
  return [
    "# Never npx or any download: whoever owned that name on the npm registry would run code here.",
    'cli=""',
    'if command -v ravi-orchestrator >/dev/null 2>&1; then',
    '  cli=ravi-orchestrator',
    'else',
    '  main_worktree=$(git worktree list --porcelain 2>/dev/null | sed -n \'1s/^worktree //p\' || true)',
    '  for dir in "$PWD" "$main_worktree"; do',
    '    if [ -n "$dir" ] && [ -x "$dir/node_modules/.bin/ravi-orchestrator" ]; then',
    '      cli="$dir/node_modules/.bin/ravi-orchestrator"',
    '      break',
    '    fi',
    '  done',
    'fi',
  ];
}

/** What the scripts say when no CLI is found: how to install it, never by downloading the name from a registry. */
const CLI_MISSING =
  'ravi-orchestrator is neither on PATH nor installed in this project (node_modules/.bin of this worktree or the main one); ' +
  'install it from its repository (git clone, then npm install && npm install -g .) and run this again';
