import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_GRACE, DEFAULT_GRACE_MS, DEFAULT_MAIL_MAX_AGE_MS, DEFAULT_QUARANTINE_MS } from '../../src/config/defaults.js';
import { parseDuration } from '../../src/config/duration.js';
import { normalizeConfig, validateRawConfig } from '../../src/config/normalize.js';
import { defaultStateDir } from '../../src/config/state-dir.js';
import { ConfigError } from '../../src/util/errors.js';

const FILE = '/projects/app/ravi-orchestrator.config.ts';
const CONTEXT = { file: FILE, defaultRepo: '/projects/app', cwd: '/projects/app/sub' };
const STATE = '/tmp/ravi-orchestrator-test-state';

beforeEach(() => {
  vi.stubEnv('RAVI_ORCHESTRATOR_STATE_DIR', STATE);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** The ConfigError `raw` produces (the test fails if it normalises). */
function configError(raw: unknown, context: Parameters<typeof normalizeConfig>[1] = CONTEXT): ConfigError {
  try {
    normalizeConfig(raw, context);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(raw)}`);
}

describe('normalizeConfig: defaults', () => {
  it('fills every key when there is no config', () => {
    expect(normalizeConfig(undefined, { file: null, defaultRepo: '/projects/app', cwd: '/projects/app' })).toEqual({
      repos: ['/projects/app'],
      provider: { kind: 'local' },
      identity: { name: 'ws-{repo}-{worktree}' },
      env: { file: '.env', vars: { AGENT_EMAIL: '{email}', AGENT_PHONE: '{phone}' }, secrets: [], writeSecrets: true },
      secrets: { vault: 'default' },
      orphans: { graceMs: 600_000 },
      pool: { quarantineMs: 1_800_000, keepIdle: 3 },
      ports: null,
      include: [],
      exclude: [],
      mail: { enabled: true, smtpPort: 2525, smsPort: 2526, maxMessageBytes: 10_485_760, maxAgeMs: 604_800_000, maxMessages: 500 },
      dashboard: { enabled: false, port: 2527 },
      concurrency: 4,
      stateDir: STATE,
      source: null,
    });
  });

  it('reads env.secrets from the local vault "default" unless secrets.vault names one; ravi has no default vault', () => {
    expect(normalizeConfig({ env: { secrets: ['OPENAI_API_KEY'] } }, CONTEXT).secrets).toEqual({ vault: 'default' });
    expect(normalizeConfig({ env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team' } }, CONTEXT).secrets).toEqual({ vault: 'team' });
    expect(normalizeConfig({ provider: { kind: 'ravi' } }, CONTEXT).secrets).toEqual({ vault: null });
  });

  it('fills the ravi provider defaults and strips the trailing slash of apiUrl', () => {
    expect(normalizeConfig({ provider: { kind: 'ravi' } }, CONTEXT).provider).toEqual({
      kind: 'ravi',
      apiUrl: 'https://ravi.id',
      credentialsFile: path.join(os.homedir(), '.ravi', 'config.json'),
      provisionPhone: false,
    });
    const custom = normalizeConfig({ provider: { kind: 'ravi', apiUrl: 'http://127.0.0.1:8080/api//', provisionPhone: true } }, CONTEXT);
    expect(custom.provider).toMatchObject({ apiUrl: 'http://127.0.0.1:8080/api', provisionPhone: true });
  });

  it('replaces the default env vars rather than merging', () => {
    expect(normalizeConfig({ env: { vars: { EMAIL: '{email}', URL: 'https://{identity}.dev' } } }, CONTEXT).env.vars).toEqual({
      EMAIL: '{email}',
      URL: 'https://{identity}.dev',
    });
  });

  it('records the source file and keeps valid values', () => {
    const config = normalizeConfig(
      { env: { file: './config/../.env.local', secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team-vault' }, concurrency: 64, include: ['**/feat-*'] },
      CONTEXT,
    );
    expect(config).toMatchObject({ source: FILE, concurrency: 64, include: ['**/feat-*'], secrets: { vault: 'team-vault' } });
    expect(config.env).toMatchObject({ file: '.env.local', secrets: ['OPENAI_API_KEY'] });
  });
});

describe('normalizeConfig: paths', () => {
  it('resolves relative repos against the config file folder and expands ~', () => {
    const config = normalizeConfig({ repos: ['.', '../lib', '~/code/site', '/abs/repo', './'] }, CONTEXT);
    expect(config.repos).toEqual(['/projects/app', '/projects/lib', path.join(os.homedir(), 'code/site'), '/abs/repo']);
  });

  it('resolves relative repos against cwd when there is no config file', () => {
    expect(normalizeConfig({ repos: ['x'] }, { ...CONTEXT, file: null }).repos).toEqual(['/projects/app/sub/x']);
  });

  it('expands ~ in stateDir and credentialsFile', () => {
    const config = normalizeConfig({ stateDir: '~/state', provider: { kind: 'ravi', credentialsFile: '~/creds.json' } }, CONTEXT);
    expect(config.stateDir).toBe(path.join(os.homedir(), 'state'));
    expect(config.provider).toMatchObject({ credentialsFile: path.join(os.homedir(), 'creds.json') });
  });

  it('uses defaultRepo when repos is empty, and says how to fix a missing repo', () => {
    expect(normalizeConfig({ repos: [] }, CONTEXT).repos).toEqual(['/projects/app']);
    const error = configError({}, { ...CONTEXT, defaultRepo: null });
    expect(error.message).toMatch(/git repository/);
    expect(error.message).toMatch(/--repo/);
    expect(error.issues[0]).toMatch(/^repos: /);
  });
});

describe('durations', () => {
  it('the default durations in milliseconds are the ones written as text', () => {
    expect(DEFAULT_GRACE_MS).toBe(parseDuration(DEFAULT_GRACE));
    expect(DEFAULT_QUARANTINE_MS).toBe(parseDuration('30m'));
    expect(DEFAULT_MAIL_MAX_AGE_MS).toBe(parseDuration('7d'));
  });

  it('the schema gives durations back in milliseconds (what the config cache keeps), the other values as written', () => {
    const valid = validateRawConfig({ orphans: { grace: '90s' }, pool: { quarantine: 0, keepIdle: 2 }, mail: { maxAge: '1d' } }, null);
    expect(valid).toEqual({ orphans: { grace: 90_000 }, pool: { quarantine: 0, keepIdle: 2 }, mail: { maxAge: 86_400_000 } });
  });
});

describe('normalizeConfig: orphans.grace', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    [0, 0],
    ['0', 0],
    [90_000, 90_000],
  ])('%j -> %i ms', (grace, ms) => {
    expect(normalizeConfig({ orphans: { grace } }, CONTEXT).orphans.graceMs).toBe(ms);
  });

  it.each([['-5m'], [-1], ['soon'], [''], [Number.NaN]])('rejects %j', (grace) => {
    expect(configError({ orphans: { grace } }).issues[0]).toMatch(/^orphans\.grace: expected a duration/);
  });

  it('parseDuration explains itself', () => {
    expect(() => parseDuration('-10m')).toThrow(/"-10m".*negative/);
    expect(() => parseDuration('later')).toThrow(/"later".*'10m'/);
    expect(parseDuration(' 1.5h ')).toBe(5_400_000);
  });
});

describe('normalizeConfig: errors name the file, the key path and the value', () => {
  it('formats the message like the spec and lists the issues', () => {
    const error = configError({ env: { vars: { '9BAD': '{email}' } }, concurrency: 0 });
    expect(error.file).toBe(FILE);
    expect(error.message).toBe(
      `Invalid config in ${FILE}:\n` +
        '  - env.vars.9BAD: variable names must match ^[A-Za-z_][A-Za-z0-9_]*$ (got "9BAD")\n' +
        '  - concurrency: expected an integer from 1 to 64 (got 0)',
    );
    expect(error.issues).toHaveLength(2);
  });

  it.each<[string, unknown, RegExp]>([
    ['repos not a list', { repos: 'app' }, /^repos: expected a list of strings \(got "app"\)/],
    ['empty repo', { repos: ['ok', ' '] }, /^repos\[1\]: must not be empty/],
    ['unknown provider kind', { provider: { kind: 'cloud' } }, /^provider\.kind: expected kind 'local' or 'ravi' \(got "cloud"\)/],
    ['missing provider kind', { provider: { apiUrl: 'https://x' } }, /^provider\.kind: .*\(missing\)/],
    ['ravi key on local', { provider: { kind: 'local', apiUrl: 'https://x' } }, /^provider\.apiUrl: only the ravi provider/],
    ['non-http apiUrl', { provider: { kind: 'ravi', apiUrl: 'ftp://ravi.id' } }, /^provider\.apiUrl: expected an http\(s\) URL.*\(got "ftp:\/\/ravi.id"\)/],
    ['not a URL', { provider: { kind: 'ravi', apiUrl: 'ravi.id' } }, /^provider\.apiUrl: expected an http\(s\) URL/],
    ['provisionPhone type', { provider: { kind: 'ravi', provisionPhone: 'yes' } }, /^provider\.provisionPhone: expected true or false/],
    ['identity placeholder', { identity: { name: 'ws-{email}' } }, /^identity\.name: unknown placeholder \{email\}; allowed: \{repo\} \{worktree\} \{branch\}/],
    ['empty identity name', { identity: { name: ' ' } }, /^identity\.name: must not be empty/],
    ['placeholder typo', { identity: { name: 'ws-{repo}-{worktre}' } }, /unknown placeholder \{worktre\} \(did you mean \{worktree\}\?\)/],
    ['env var placeholder', { env: { vars: { URL: 'https://{hostname}/' } } }, /^env\.vars\.URL: unknown placeholder \{hostname\}; allowed: \{email\}/],
    ['env var value type', { env: { vars: { PORT: 3000 } } }, /^env\.vars\.PORT: expected a string$/],
    ['absolute env file', { env: { file: '/etc/env' } }, /^env\.file: must be a path relative to the worktree/],
    ['windows absolute env file', { env: { file: 'C:\\env' } }, /^env\.file: must be a path relative/],
    ['env file escaping', { env: { file: 'a/../../.env' } }, /^env\.file: must stay inside the worktree/],
    ['env file in .git', { env: { file: '.git/env' } }, /^env\.file: must not be inside \.git/],
    ['env file is the worktree', { env: { file: '.' } }, /^env\.file: must name a file inside the worktree/],
    ['secret name', { env: { secrets: ['openai_key'] }, secrets: { vault: 'v' } }, /^env\.secrets\[0\]: secret names must match \^\[A-Z\]\[A-Z0-9_\]\*\$ \(got "openai_key"\)/],
    ['duplicate secret', { env: { secrets: ['A', 'B', 'A'] }, secrets: { vault: 'v' } }, /^env\.secrets\[2\]: duplicate of env\.secrets\[0\]/],
    ['secret clashes with a var', { env: { vars: { TOKEN: 'x' }, secrets: ['TOKEN'] }, secrets: { vault: 'v' } }, /^env\.secrets\[0\]: TOKEN is also set by env\.vars/],
    ['secret clashes with a default var', { env: { secrets: ['AGENT_EMAIL'] }, secrets: { vault: 'v' } }, /^env\.secrets\[0\]: AGENT_EMAIL is also set by the default env\.vars/],
    ['vault missing (ravi)', { provider: { kind: 'ravi' }, env: { secrets: ['OPENAI_API_KEY'] } }, /^secrets\.vault: required with the ravi provider when env\.secrets lists secrets/],
    ['bad glob', { exclude: ['ok/**', '*.{js'] }, /^exclude\[1\]: invalid glob: Unterminated group \(got "\*\.\{js"\)/],
    ['empty glob', { include: [''] }, /^include\[0\]: invalid glob/],
    ['concurrency too big', { concurrency: 65 }, /^concurrency: expected an integer from 1 to 64 \(got 65\)/],
    ['concurrency fraction', { concurrency: 1.5 }, /^concurrency: expected an integer from 1 to 64 \(got 1\.5\)/],
    ['concurrency string', { concurrency: '4' }, /^concurrency: expected an integer from 1 to 64 \(got "4"\)/],
    ['stateDir empty', { stateDir: '' }, /^stateDir: must not be empty/],
    ['nested object type', { env: 'x' }, /^env: expected an object \(got "x"\)/],
    ['whole config not an object', ['repos'], /^\(config\): expected an object/],
  ])('%s', (_name, raw, pattern) => {
    const error = configError(raw);
    expect(error.issues.some((issue) => pattern.test(issue)), error.message).toBe(true);
    expect(error.message).toContain(`Invalid config in ${FILE}:`);
  });

  it('suggests the closest known key for a typo, at any depth', () => {
    expect(configError({ concurency: 2 }).issues).toEqual(['concurency: unknown key (did you mean "concurrency"?)']);
    expect(configError({ env: { vras: {} } }).issues).toEqual(['env.vras: unknown key (did you mean "vars"?)']);
    expect(configError({ provider: { kind: 'ravi', apiURL: 'x' } }).issues).toEqual([
      'provider.apiURL: unknown key (did you mean "apiUrl"?)',
    ]);
    expect(configError({ zzzzzz: 1 }).issues[0]).toMatch(/^zzzzzz: unknown key \(known keys: repos, provider, .*stateDir\)$/);
  });

  it('reports every problem at once', () => {
    expect(configError({ concurrency: 0, stateDir: 3, envv: {} }).issues).toHaveLength(3);
  });

  it('names every unknown key of one object, not only the first', () => {
    expect(configError({ pool: { keepidle: 1, quarantin: '1m' }, envv: {}, concurency: 2 }).issues).toEqual([
      'pool.keepidle: unknown key (did you mean "keepIdle"?)',
      'pool.quarantin: unknown key (did you mean "quarantine"?)',
      'envv: unknown key (did you mean "env"?)',
      'concurency: unknown key (did you mean "concurrency"?)',
    ]);
  });

  it('takes a list where an object belongs as a wrong type, not as keys 0, 1, ...', () => {
    expect(configError({ env: ['a'], ports: [], provider: ['ravi'] }).issues).toEqual([
      'provider: expected an object (got a list)',
      'env: expected an object (got a list)',
      'ports: expected an object (got a list)',
    ]);
    expect(configError({ env: { vars: ['A'] } }).issues).toEqual(['env.vars: expected an object']);
  });

  it('says a bad number once, whichever bounds it breaks', () => {
    expect(configError({ concurrency: -1.5 }).issues).toEqual(['concurrency: expected an integer from 1 to 64 (got -1.5)']);
    expect(configError({ mail: { maxMessageBytes: 10.5 } }).issues).toEqual(['mail.maxMessageBytes: expected a whole number of bytes, at least 1024 (got 10.5)']);
  });

  it('returns the names it checks trimmed, and templates as written', () => {
    const raw = { repos: ['  app  '], stateDir: ' /state ', secrets: { vault: ' team ' }, identity: { name: ' ws-{repo} ' }, provider: { kind: 'ravi', credentialsFile: ' c.json ' } };
    expect(validateRawConfig(raw, FILE)).toEqual({
      repos: ['app'], stateDir: '/state', secrets: { vault: 'team' }, identity: { name: ' ws-{repo} ' }, provider: { kind: 'ravi', credentialsFile: 'c.json' },
    });
  });

  it('names a missing required key', () => {
    expect(configError({ ports: { perWorktree: 2 } }).issues).toEqual(['ports.range: required (missing)']);
  });
});

describe('normalizeConfig: secrets stay out of messages', () => {
  const token = 'sk-proj-4f9a8b7c6d5e4f3a2b1c';

  it.each<[string, unknown]>([
    ['a token pasted as a secret name', { env: { secrets: [token] }, secrets: { vault: 'v' } }],
    ['a token in an env var with a bad placeholder', { env: { vars: { KEY: `${token}{oops}` } } }],
    ['a token pasted as the vault', { secrets: { vault: { token } } }],
    ['anything under secrets', { secrets: { vault: '' } }],
    ['a token-shaped value anywhere', { stateDir: 123, repos: ['ok', 'ghp_aaaaBBBB1111cccc2222dddd'.repeat(1)], identity: { name: token } }],
  ])('%s', (_name, raw) => {
    const error = configError(raw);
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain('ghp_');
    expect(error.message).not.toMatch(/got "" /);
  });

  it('still names the key and the problem', () => {
    const error = configError({ secrets: { vault: 42 } });
    expect(error.issues).toEqual(['secrets.vault: expected a string']);
  });
});

describe('defaultStateDir', () => {
  const home = '/home/ada';
  it('honours RAVI_ORCHESTRATOR_STATE_DIR first', () => {
    expect(defaultStateDir({ RAVI_ORCHESTRATOR_STATE_DIR: '~/s' }, 'linux', home)).toBe('/home/ada/s');
  });
  it('uses the platform conventions', () => {
    expect(defaultStateDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/ravi-orchestrator');
    expect(defaultStateDir({ XDG_STATE_HOME: '/xdg' }, 'linux', home)).toBe('/xdg/ravi-orchestrator');
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative' }, 'linux', home)).toBe('/home/ada/.local/state/ravi-orchestrator');
    expect(defaultStateDir({}, 'linux', home)).toBe('/home/ada/.local/state/ravi-orchestrator');
    expect(defaultStateDir({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Local\\ravi-orchestrator',
    );
  });
});

describe('env.writeSecrets', () => {
  it('accepts false and rejects a non-boolean, naming the key', () => {
    expect(normalizeConfig({ env: { writeSecrets: false } }, { file: null, defaultRepo: '/r', cwd: '/' }).env.writeSecrets).toBe(false);
    expect(() => normalizeConfig({ env: { writeSecrets: 'no' } }, { file: '/c.json', defaultRepo: '/r', cwd: '/' })).toThrow(/env\.writeSecrets: expected true or false/);
  });
});

describe('mail', () => {
  it('takes ports and retention, and names a bad port', () => {
    const config = normalizeConfig({ mail: { smtpPort: 1025, maxAge: '1d', maxMessages: 50 } }, { file: null, defaultRepo: '/r', cwd: '/' });
    expect(config.mail).toMatchObject({ smtpPort: 1025, smsPort: 2526, maxAgeMs: 86_400_000, maxMessages: 50 });
    expect(() => normalizeConfig({ mail: { smsPort: 70000 } }, { file: '/c.json', defaultRepo: '/r', cwd: '/' })).toThrow(/mail\.smsPort: expected a port number/);
  });
});

describe('normalizeConfig: pool', () => {
  it('keeps every idle Ravi identity by default, a few local ones, and reads quarantine as a duration', () => {
    expect(normalizeConfig({ provider: { kind: 'ravi' } }, CONTEXT).pool).toEqual({ quarantineMs: 1_800_000, keepIdle: Number.POSITIVE_INFINITY });
    expect(normalizeConfig({ pool: { quarantine: '2h', keepIdle: 0 } }, CONTEXT).pool).toEqual({ quarantineMs: 7_200_000, keepIdle: 0 });
    expect(normalizeConfig({ pool: { quarantine: 0 } }, CONTEXT).pool.quarantineMs).toBe(0);
  });

  it('refuses a negative or fractional keepIdle and a bad quarantine, naming the key', () => {
    expect(() => normalizeConfig({ pool: { keepIdle: -1 } }, CONTEXT)).toThrow(/pool\.keepIdle: expected a whole number of at least 0/);
    expect(() => normalizeConfig({ pool: { keepIdle: 1.5 } }, CONTEXT)).toThrow(/pool\.keepIdle/);
    expect(() => normalizeConfig({ pool: { quarantine: 'soon' } }, CONTEXT)).toThrow(/pool\.quarantine/);
    expect(() => normalizeConfig({ pool: { keepidle: 1 } }, CONTEXT)).toThrow(/pool\.keepidle: unknown key \(did you mean "keepIdle"\?\)/);
  });
});
