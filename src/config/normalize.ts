/**
 * `normalizeConfig`: the one place where raw config is validated and every default applied (STYLE pattern 4).
 * Below src/config, code reads `Config` and never supplies a default of its own.
 */
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { parseDuration } from './duration.js';
import { closest, knownKeysAt, parsePortRange, PORT_PLACEHOLDER, RAVI_ONLY_KEYS, rawConfigSchema } from './schema.js';
import { defaultStateDir, resolveUserPath } from './state-dir.js';
import { DEFAULT_API_URL, DEFAULT_ENV_VARS, DEFAULT_IDENTITY_NAME } from './types.js';
import type { Config, ProviderConfig, RawConfig } from './types.js';

export interface NormalizeContext {
  /** The config file (absolute), or null when no file was found. Relative paths are taken from its folder. */
  readonly file: string | null;
  /** The repo the command runs in; used when `repos` is absent or empty. */
  readonly defaultRepo: string | null;
  /** Relative paths are taken from here when there is no config file. */
  readonly cwd: string;
}

export const DEFAULT_GRACE = '10m';
export const DEFAULT_QUARANTINE = '30m';
/** Local identities cost nothing, so only a few idle ones are kept; Ravi's are kept (they cost money to make). */
export const DEFAULT_LOCAL_KEEP_IDLE = 3;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_CREDENTIALS_FILE = '~/.ravi/config.json';
export const DEFAULT_ENV_FILE = '.env';
export const DEFAULT_SMTP_PORT = 2525;
export const DEFAULT_SMS_PORT = 2526;
/** Next to the mail ports, so the three local services are easy to find. */
export const DEFAULT_DASHBOARD_PORT = 2527;
/**
 * The local provider's vault when `secrets.vault` is not set: the one `ravi-orchestrator secrets set` writes to
 * without `--vault`, so `secrets set KEY` plus `env.secrets: ['KEY']` is enough. The ravi provider has no default:
 * its vault is an identity, and guessing one could copy another identity's secrets into every worktree.
 */
export const DEFAULT_LOCAL_VAULT = 'default';

/** Validates `raw` (the config file's export, or undefined) and returns it with every default applied. */
export function normalizeConfig(raw: unknown, context: NormalizeContext): Config {
  const parsed = rawConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw invalidConfig(context.file, parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)));
  }
  const config: RawConfig = parsed.data;
  const vars = config.env?.vars ?? DEFAULT_ENV_VARS; // user vars replace the default set, they do not merge
  const secretNames = config.env?.secrets ?? [];
  const crossIssues = crossFieldIssues(config, vars, secretNames);
  if (crossIssues.length > 0) throw invalidConfig(context.file, crossIssues);

  const baseDir = context.file === null ? context.cwd : path.dirname(context.file);
  return {
    repos: normalizeRepos(config.repos ?? [], baseDir, context),
    provider: normalizeProvider(config.provider, baseDir),
    identity: { name: config.identity?.name ?? DEFAULT_IDENTITY_NAME },
    env: {
      file: path.posix.normalize((config.env?.file ?? DEFAULT_ENV_FILE).trim().replaceAll('\\', '/')),
      vars: { ...vars },
      secrets: [...secretNames],
      writeSecrets: config.env?.writeSecrets ?? true,
    },
    secrets: { vault: config.secrets?.vault ?? (config.provider?.kind === 'ravi' ? null : DEFAULT_LOCAL_VAULT) },
    orphans: { graceMs: parseDuration(config.orphans?.grace ?? DEFAULT_GRACE) },
    ports: config.ports === undefined ? null : { perWorktree: config.ports.perWorktree, first: parsePortRange(config.ports.range)[0], last: parsePortRange(config.ports.range)[1] },
    pool: {
      quarantineMs: parseDuration(config.pool?.quarantine ?? DEFAULT_QUARANTINE),
      keepIdle: config.pool?.keepIdle ?? (config.provider?.kind === 'ravi' ? Number.POSITIVE_INFINITY : DEFAULT_LOCAL_KEEP_IDLE),
    },
    include: [...(config.include ?? [])],
    exclude: [...(config.exclude ?? [])],
    mail: {
      enabled: config.mail?.enabled ?? true,
      smtpPort: config.mail?.smtpPort ?? DEFAULT_SMTP_PORT,
      smsPort: config.mail?.smsPort ?? DEFAULT_SMS_PORT,
      maxMessageBytes: config.mail?.maxMessageBytes ?? 10 * 1024 * 1024,
      maxAgeMs: parseDuration(config.mail?.maxAge ?? '7d'),
      maxMessages: config.mail?.maxMessages ?? 500,
    },
    dashboard: { enabled: config.dashboard?.enabled ?? false, port: config.dashboard?.port ?? DEFAULT_DASHBOARD_PORT },
    concurrency: config.concurrency ?? DEFAULT_CONCURRENCY,
    stateDir: config.stateDir === undefined ? defaultStateDir() : resolveUserPath(config.stateDir, baseDir),
    source: context.file,
  };
}

function normalizeRepos(rawRepos: readonly string[], baseDir: string, context: NormalizeContext): string[] {
  if (rawRepos.length === 0) {
    if (context.defaultRepo === null) throw noRepoError(context.file);
    return [path.resolve(context.cwd, context.defaultRepo)];
  }
  return [...new Set(rawRepos.map((repo) => resolveUserPath(repo, baseDir)))];
}

function normalizeProvider(raw: RawConfig['provider'], baseDir: string): ProviderConfig {
  if (raw === undefined || raw.kind === 'local') return { kind: 'local' };
  return {
    kind: 'ravi',
    apiUrl: (raw.apiUrl ?? DEFAULT_API_URL).trim().replace(/\/+$/, ''),
    credentialsFile: resolveUserPath(raw.credentialsFile ?? DEFAULT_CREDENTIALS_FILE, baseDir),
    provisionPhone: raw.provisionPhone ?? false,
  };
}

/** Rules that involve more than one key; they run once each key is valid on its own. */
function crossFieldIssues(config: RawConfig, vars: Record<string, string>, secretNames: readonly string[]): string[] {
  const issues: string[] = [];
  if (secretNames.length > 0 && config.secrets?.vault === undefined && config.provider?.kind === 'ravi') {
    issues.push(
      'secrets.vault: required with the ravi provider when env.secrets lists secrets (the identity, by name or uuid, whose secrets are copied)',
    );
  }
  issues.push(...portIssues(config, vars));
  secretNames.forEach((name, index) => {
    if (Object.hasOwn(vars, name)) {
      const where = config.env?.vars === undefined ? 'the default env.vars' : 'env.vars';
      issues.push(`env.secrets[${index}]: ${name} is also set by ${where}; a variable must come from one place (got "${name}")`);
    }
  });
  return issues;
}

/** `{port}` needs `ports`, `{port:N}` a block of more than N ports, and the range must hold one block. */
function portIssues(config: RawConfig, vars: Record<string, string>): string[] {
  const issues: string[] = [];
  for (const [name, template] of Object.entries(vars)) {
    for (const match of template.matchAll(PORT_PLACEHOLDER)) {
      const index = Number(match[1] ?? 0);
      if (config.ports === undefined) issues.push(`env.vars.${name}: ${match[0]} needs ports (e.g. ports: { perWorktree: 3, range: '20000-29999' })`);
      else if (index >= config.ports.perWorktree) issues.push(`env.vars.${name}: ${match[0]} is past the end of a block of ${config.ports.perWorktree} port(s) ({port:0} to {port:${config.ports.perWorktree - 1}})`);
    }
  }
  if (config.ports !== undefined) {
    const [first, last] = parsePortRange(config.ports.range);
    if (last - first + 1 < config.ports.perWorktree) issues.push(`ports.range: ${config.ports.range} holds fewer than one block of ${config.ports.perWorktree} ports`);
  }
  return issues;
}

/** One line per problem: dotted key path, what is wrong, and the value unless it may be secret. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    const parent = valueAt(raw, issue.path);
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${unknownKeyHint(key, issue.path, parent)}`);
  }
  const params = issue.code === 'custom' ? (issue.params ?? {}) : {};
  const explicit = 'got' in params; // e.g. a bad env var name: the name is shown, never the value
  const shown = explicit ? params['got'] : valueAt(raw, issue.path);
  const echo = params['echo'] !== false && (explicit || !mayHoldSecret(issue.path)) && !looksSecret(shown);
  return [`${formatPath(issue.path)}: ${issue.message}${echo ? ` (${describeValue(shown)})` : ''}`];
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

function invalidConfig(file: string | null, issues: readonly string[]): ConfigError {
  const where = file === null ? ' (no config file; built-in defaults and command-line options)' : ` in ${describeFile(file)}`;
  return new ConfigError(`Invalid config${where}:\n${issues.map((line) => `  - ${line}`).join('\n')}`, { file, issues });
}

function noRepoError(file: string | null): ConfigError {
  const where = file === null ? 'a config file (ravi-orchestrator.config.ts)' : describeFile(file);
  const fix = `run the command inside a git repository, pass --repo <path>, or set repos in ${where}`;
  return new ConfigError(`No repository to manage: ${fix}`, { file, issues: [`repos: none given and not inside a git repository; ${fix}`] });
}

function describeFile(file: string): string {
  return path.basename(file) === 'package.json' ? `${file} (key "ravi-orchestrator")` : file;
}
