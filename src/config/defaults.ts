/**
 * Every default, and the rules that span fields, applied to a config whose keys are each valid on their own
 * (checked by the schema in normalize.ts, or known valid: no config file, or a validation cache hit).
 * No schema here: `whoami` and `otp` with a valid config never load it.
 */
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { parseDuration } from './duration.js';
import { parsePortRange, PORT_PLACEHOLDER } from './names.js';
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

/** As a config would write it (`init`'s template); DEFAULT_GRACE_MS is the same duration. */
export const DEFAULT_GRACE = '10m';
// The default durations in milliseconds: a number needs no parser, so a command whose config writes no duration as
// text (or whose config the cache gives back, its durations already numbers) never loads `ms`.
export const DEFAULT_GRACE_MS = 10 * 60_000;
export const DEFAULT_QUARANTINE_MS = 30 * 60_000;
export const DEFAULT_MAIL_MAX_AGE_MS = 7 * 24 * 3_600_000;
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

/** `config` with every default applied; a ConfigError when a rule that spans fields is broken. */
export function applyDefaults(config: RawConfig, context: NormalizeContext): Config {
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
    orphans: { graceMs: parseDuration(config.orphans?.grace ?? DEFAULT_GRACE_MS) },
    ports: config.ports === undefined ? null : { perWorktree: config.ports.perWorktree, first: parsePortRange(config.ports.range)[0], last: parsePortRange(config.ports.range)[1] },
    pool: {
      quarantineMs: parseDuration(config.pool?.quarantine ?? DEFAULT_QUARANTINE_MS),
      keepIdle: config.pool?.keepIdle ?? (config.provider?.kind === 'ravi' ? Number.POSITIVE_INFINITY : DEFAULT_LOCAL_KEEP_IDLE),
    },
    include: [...(config.include ?? [])],
    exclude: [...(config.exclude ?? [])],
    mail: {
      enabled: config.mail?.enabled ?? true,
      smtpPort: config.mail?.smtpPort ?? DEFAULT_SMTP_PORT,
      smsPort: config.mail?.smsPort ?? DEFAULT_SMS_PORT,
      maxMessageBytes: config.mail?.maxMessageBytes ?? 10 * 1024 * 1024,
      maxAgeMs: parseDuration(config.mail?.maxAge ?? DEFAULT_MAIL_MAX_AGE_MS),
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

export function invalidConfig(file: string | null, issues: readonly string[]): ConfigError {
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
