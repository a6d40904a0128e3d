/**
 * Quoting of one .env value so that dotenv (node), docker compose (compose-go) and bash
 * (`set -a; . ./.env`) all read back exactly the value written, or a plain refusal.
 *
 * What each reader does, checked against dotenv's parser, compose-go's parser and real bash:
 * - Single quotes are literal in all three, with one trap: dotenv and compose-go treat `\'` as an
 *   escaped quote even inside single quotes, so a value ending in a backslash would swallow its
 *   closing quote (compose: to the next `'` in the file; dotenv: depends on the lines after it).
 * - Double quotes: bash expands `$`, backticks and `\`; dotenv turns `\n`/`\r` into newlines and
 *   skips `\"`; compose expands `$` and backslash escapes. Without `" $ \` \\` all three are literal.
 * - Newlines and CR cannot be written on one line in any form all three agree on, a NUL cannot
 *   live in an environment variable, and an unpaired surrogate cannot be written as UTF-8.
 */

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters that something interprets inside double quotes (bash, dotenv or compose). */
const DOUBLE_QUOTE_SPECIALS: ReadonlyArray<readonly [string, string]> = [
  ['"', 'a double quote (")'],
  ['$', 'a dollar sign ($)'],
  ['`', 'a backtick (`)'],
  ['\\', 'a backslash (\\)'],
];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export class UnsafeEnvValueError extends Error {
  readonly code = 'UNSAFE_ENV_VALUE';
  readonly key: string;

  /** `problems` describe characters by name only: the value is a secret and never goes in the message. */
  constructor(key: string, problems: readonly string[]) {
    super(
      `Cannot write ${key} to .env: its value contains ${problems.join('; ')}. ` +
        'No quoting reads that back identically in dotenv, docker compose and bash. ' +
        `Use \`ravi-orchestrator exec\` mode to pass ${key} to the process instead of the .env file.`,
    );
    this.name = 'UnsafeEnvValueError';
    this.key = key;
  }
}

/** Returns the text to write after `KEY=`; throws UnsafeEnvValueError when no form is safe. */
export function quoteEnvValue(key: string, value: string): string {
  assertValidEnvKey(key);
  const fatal = unwritableProblems(value);
  if (fatal.length > 0) throw new UnsafeEnvValueError(key, fatal);
  if (!value.includes("'")) return `'${value}'`;

  const clashes = DOUBLE_QUOTE_SPECIALS.filter(([char]) => value.includes(char)).map(([, name]) => name);
  if (clashes.length > 0) {
    throw new UnsafeEnvValueError(key, [`a single quote (') together with ${clashes.join(', ')}`]);
  }
  return `"${value}"`;
}

export function isValidEnvKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function assertValidEnvKey(key: string): void {
  if (!isValidEnvKey(key)) {
    throw new Error(`Invalid .env key ${JSON.stringify(key)}: keys must match ${KEY_PATTERN.source}`);
  }
}

/** Problems that no quoting style can get around. */
function unwritableProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.includes('\n')) problems.push('a newline');
  if (value.includes('\r')) problems.push('a carriage return');
  if (value.includes('\0')) problems.push('a NUL character');
  if (LONE_SURROGATE.test(value)) problems.push('an unpaired UTF-16 surrogate (not valid UTF-8 text)');
  if (value.endsWith('\\')) {
    problems.push('a backslash at the very end (dotenv and docker compose read it as escaping the closing quote)');
  }
  return problems;
}
