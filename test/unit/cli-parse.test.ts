/** The command line parsed from the declarations: typed values, usage errors that help, help requests, verbs. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine, type ParsedCommandLine } from '../../src/cli/parse.js';
import { UsageError } from '../../src/cli/usage-error.js';

async function run(argv: string[]): Promise<Extract<ParsedCommandLine, { kind: 'run' }>> {
  const parsed = await parseCommandLine(argv);
  if (parsed.kind !== 'run') throw new Error(`expected a command to run, got help for ${parsed.path.join(' ')}`);
  return parsed;
}

async function usageError(argv: string[]): Promise<UsageError> {
  const error: unknown = await parseCommandLine(argv).then(() => null, (e: unknown) => e);
  expect(error, argv.join(' ')).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe('parseCommandLine', () => {
  it('hands the handler typed values under camel-case names, with declared defaults', async () => {
    const otp = await run(['otp', '--wait', '2m', '--since-setup', '--worktree=../x']);
    expect(otp.flags).toMatchObject({ wait: 120_000, sinceSetup: true, markRead: false, unread: false, worktree: '../x', json: false, logLevel: 'error' });
    expect((await run(['otp', '--wait', '90'])).flags['wait']).toBe(90_000); // a bare number is seconds
    expect((await run(['reconcile'])).flags['lockWait']).toBe(120_000);
    expect((await run(['release'])).flags['lockWait']).toBe(45_000);
    expect((await run(['reconcile', '--lock-wait', '5'])).flags['lockWait']).toBe(5_000);
    expect((await run(['plan', '--repo', 'a', '--repo', 'b'])).flags['repo']).toEqual(['a', 'b']);
    expect((await run(['link', '--match', 'verify'])).flags['match']).toEqual(/verify/i);
    expect((await run(['--log-level', 'debug', 'plan'])).flags['logLevel']).toBe('debug');
  });

  it('suggests the flag a typo meant, and says the command', async () => {
    const error = await usageError(['otp', '--wiat', '10s']);
    expect(error.message).toBe('unknown flag --wiat for otp; did you mean --wait?');
    expect(error.command).toEqual(['otp']);
  });

  it('refuses a flag another command owns, naming that command', async () => {
    expect((await usageError(['status', '--reveal'])).message).toBe('--reveal is not a flag of status (env takes it)');
    expect((await usageError(['whoami', '--lock-wait', '3'])).message).toMatch(/--lock-wait is not a flag of whoami \(.*reconcile.*release.* take it\)/);
    expect((await usageError(['plan', '--frobnicate'])).message).toBe('unknown flag --frobnicate for plan');
  });

  it('suggests the command a typo meant', async () => {
    expect((await usageError(['otpp'])).message).toBe('unknown command "otpp"; did you mean otp?');
    expect((await usageError(['service', 'start'])).message).toMatch(/unknown service command "start"; did you mean service restart\?/);
    expect((await usageError(['service'])).message).toBe('service needs one of: install, uninstall, status, logs, restart');
  });

  it('says what a bad value should have been', async () => {
    expect((await usageError(['otp', '--wait', 'soon'])).message).toBe('--wait takes a duration such as 120s or 2m (got "soon")');
    expect((await usageError(['otp', '--wait'])).message).toBe('--wait needs a value (DURATION)');
    expect((await usageError(['otp', '--wait', '--json'])).message).toBe('--wait needs a value (DURATION)');
    expect((await usageError(['otp', '--json=yes'])).message).toBe('--json takes no value (got "--json=yes")');
    expect((await usageError(['plan', '--log-level', 'loud'])).message).toMatch(/--log-level takes one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
    expect((await usageError(['link', '--match', '('])).message).toMatch(/^--match takes a valid regular expression/);
    expect((await usageError(['reconcile', '--lock-wait', '-1'])).message).toBe('--lock-wait needs a value (SEC)');
    expect((await usageError(['reconcile', '--lock-wait=x'])).message).toBe('--lock-wait takes a number of seconds (got "x")');
    expect((await usageError(['sms', 'deliver', '--to', '+1'])).message).toBe('--body TEXT is required');
  });

  it.each(['-1', '65536', '80.5', 'http', '', '0x50'])('dashboard --port=%j is a usage error naming the flag', async (value) => {
    expect((await usageError(['dashboard', `--port=${value}`])).message).toMatch(/^--port takes a port number from 0 to 65535/);
  });

  it('takes ports from 0 to 65535; none means "not given"', async () => {
    expect((await run(['dashboard', '--port', '0'])).flags['port']).toBe(0);
    expect((await run(['dashboard', '--port', '65535'])).flags['port']).toBe(65_535);
    expect((await run(['dashboard'])).flags['port']).toBeNull();
  });

  it('checks positionals against their declaration', async () => {
    expect((await run(['inbox', 'sms'])).positionals).toEqual(['sms']);
    expect((await usageError(['inbox', 'smss'])).message).toBe('inbox takes email or sms as KIND (got "smss"); did you mean sms?');
    expect((await usageError(['whoami', 'extra'])).message).toBe('whoami takes no arguments (got "extra")');
    expect((await usageError(['secrets', 'set'])).message).toMatch(/^secrets set needs KEY/);
    expect((await usageError(['completion'])).message).toMatch(/^completion needs SHELL/);
  });

  it('passes everything after exec\'s CMD on, flags included', async () => {
    expect((await run(['exec', '--', 'node', '-e', '1', '--json'])).positionals).toEqual(['node', '-e', '1', '--json']);
    expect((await run(['exec', '--worktree', 'w', 'node', '--version'])).positionals).toEqual(['node', '--version']);
    expect((await run(['exec', '--worktree', 'w', 'node', '--version'])).flags['worktree']).toBe('w');
    expect((await usageError(['exec'])).message).toMatch(/^exec needs CMD/);
  });

  it('asks for help with --help, -h, or nothing at all, for commands and verbs', async () => {
    expect(await parseCommandLine([])).toMatchObject({ kind: 'help', path: [], target: null });
    expect(await parseCommandLine(['--help'])).toMatchObject({ kind: 'help', target: null });
    expect(await parseCommandLine(['otp', '--help'])).toMatchObject({ kind: 'help', path: ['otp'] });
    expect(await parseCommandLine(['-h', 'otp'])).toMatchObject({ kind: 'help', path: ['otp'] });
    // --help wins over what would otherwise be a usage error, as in git.
    expect(await parseCommandLine(['secrets', 'set', '--help'])).toMatchObject({ kind: 'help', path: ['secrets', 'set'] });
    expect(await parseCommandLine(['service', '--help'])).toMatchObject({ kind: 'help', path: ['service'], target: { kind: 'group' } });
    expect((await run(['--version'])).path).toEqual(['version']);
  });

  it('wants command-specific flags after the command', async () => {
    expect((await usageError(['--json', 'status'])).message).toBe('--json goes after the command: ravi-orchestrator <command> --json');
  });
});
