/**
 * `normalizeConfig`: the one place where raw config is validated and every default applied (STYLE pattern 4).
 * Below src/config, code reads `Config` and never supplies a default of its own. The schema runs here;
 * the defaults and cross-field rules live in defaults.ts (schema-free, for the start-up path of valid configs).
 */
import { safeParse, type BaseIssue } from 'valibot';
import { closest, ECHO_INPUT, ECHO_NOTHING, knownKeysAt, RAVI_ONLY_KEYS, rawConfigSchema, UNKNOWN_KEY } from './schema.js';
import { applyDefaults, invalidConfig, type NormalizeContext } from './defaults.js';
import type { Config, RawConfig } from './types.js';

export * from './defaults.js';

/** Validates `raw` (the config file's export, or undefined) and returns it with every default applied. */
export function normalizeConfig(raw: unknown, context: NormalizeContext): Config {
  return applyDefaults(validateRawConfig(raw, context.file), context);
}

/** `raw` as the schema reads it (strings trimmed where it trims them); a ConfigError listing every problem. */
export function validateRawConfig(raw: unknown, file: string | null): RawConfig {
  const parsed = safeParse(rawConfigSchema, raw ?? {});
  if (!parsed.success) {
    throw invalidConfig(file, parsed.issues.map((issue) => describeIssue(issue, raw)));
  }
  return parsed.output as RawConfig; // the loose objects' output: unknown keys were issues, so there are none
}

/** One line per problem: dotted key path, what is wrong, and the value unless it may be secret. */
function describeIssue(issue: BaseIssue<unknown>, raw: unknown): string {
  const path = (issue.path ?? []).map((item) => item.key as PropertyKey);
  if (issue.expected === UNKNOWN_KEY) {
    const parentPath = path.slice(0, -1);
    return `${formatPath(path)}: ${unknownKeyHint(String(path.at(-1)), parentPath, valueAt(raw, parentPath))}`;
  }
  const explicit = issue.expected === ECHO_INPUT; // e.g. a bad env var name: the name is shown, never the value
  const shown = explicit ? issue.input : valueAt(raw, path);
  const echo = issue.expected !== ECHO_NOTHING && (explicit || !mayHoldSecret(path)) && !looksSecret(shown);
  return `${formatPath(path)}: ${issue.message}${echo ? ` (${describeValue(shown)})` : ''}`;
}

function unknownKeyHint(key: string, parentPath: readonly PropertyKey[], parent: unknown): string {
  if (parentPath.join('.') === 'provider' && RAVI_ONLY_KEYS.includes(key)) {
    return `only the ravi provider takes this key (set kind: 'ravi' or remove it)`;
  }
  const known = knownKeysAt(parentPath, parent);
  const suggestion = closest(key, known);
  return suggestion ? `unknown key (did you mean "${suggestion}"?)` : `unknown key (known keys: ${known.join(', ')})`;
}

// Values under `secrets`, and env var values (users may paste a literal token there), are never echoed.
function mayHoldSecret(issuePath: readonly PropertyKey[]): boolean {
  return issuePath[0] === 'secrets' || (issuePath[0] === 'env' && issuePath[1] === 'vars');
}

/** Token-shaped strings (sk-..., ghp_..., long mixed letters and digits) are not echoed wherever they appear. */
function looksSecret(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (/^(sk|pk|rk|ghp|gho|ghs|ghu|github_pat|xox[abprs]|AKIA|ravi)[-_]/i.test(value)) return true;
  return /^[A-Za-z0-9_\-+=.]{20,}$/.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') {
    return `got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return `got ${String(value)}`;
  if (Array.isArray(value)) return 'got a list';
  return `got ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
}

function valueAt(root: unknown, keyPath: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of keyPath) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function formatPath(keyPath: readonly PropertyKey[]): string {
  if (keyPath.length === 0) return '(config)';
  return keyPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
}

