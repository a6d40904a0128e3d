/**
 * The valibot schema of `RawConfig`: shapes, closed objects (typos are errors) and each field's own rule.
 * valibot, not zod: a config whose validation is not cached (a new or edited config, a fresh HOME) loads one
 * module instead of zod's ~95 (see files/schema-issue.ts); the state files use it already.
 * Messages say what is expected and (placeholder names aside) not the value: normalize.ts appends the value
 * unless it may be secret.
 * Rules that span fields (vault required, secret/var clashes) and defaults live in defaults.ts.
 */
import { createRequire } from 'node:module';
import * as v from 'valibot';
import { closest } from '../util/closest.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import type { RawConfig } from './types.js';
import { ENV_PLACEHOLDERS, IDENTITY_PLACEHOLDERS, MAX_CONCURRENCY, PORTS_RANGE, SECRET_NAME, VAR_NAME } from './names.js';

export * from './names.js';

export { closest };

/**
 * What normalize.ts may echo after an issue of our own checks, said in the issue's `expected`: the name the
 * check looked at (a variable name: the value is never shown), or nothing. valibot's own issues echo by path.
 */
export const ECHO_INPUT = 'echo the issue input';
export const ECHO_NOTHING = 'echo nothing';
/** `expected` of an unknown key's issue, as valibot's strictObject says it. */
export const UNKNOWN_KEY = 'never';

const OBJECT = 'expected an object';
const STRING = 'expected a string';
const BOOLEAN = 'expected true or false';
const CONCURRENCY = `expected an integer from 1 to ${MAX_CONCURRENCY}`;
const nonEmpty = v.pipe(v.string(STRING), v.trim(), v.minLength(1, 'must not be empty'));
const stringList = <T extends v.GenericSchema<string, string>>(item: T) => v.array(item, 'expected a list of strings');
// Given back in milliseconds: the config cache (valid-config-cache.ts) then holds numbers, which need no parser.
const duration = v.pipe(v.union([v.string(), v.number()], `expected ${DURATION_HINT}`), v.check(isDuration, `expected ${DURATION_HINT} (not negative)`), v.transform(parseDuration));
// One check, so a value that breaks several bounds (-1.5, Infinity) is one problem, not one line per bound.
const wholeNumber = (message: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number(message), v.check((n) => Number.isInteger(n) && n >= min && n <= max, message));

const localEntries = { kind: v.literal('local') };
const raviEntries = {
  kind: v.literal('ravi'),
  apiUrl: v.optional(v.pipe(v.string(STRING), v.check(isHttpUrl, 'expected an http(s) URL such as https://ravi.id'))),
  credentialsFile: v.optional(nonEmpty),
  provisionPhone: v.optional(v.boolean(BOOLEAN)),
};
type ProviderInput = v.InferInput<v.StrictObjectSchema<typeof localEntries, undefined>> | v.InferInput<v.StrictObjectSchema<typeof raviEntries, undefined>>;
const providerSchema = v.pipe(
  v.custom<ProviderInput>(isPlainObject, OBJECT),
  v.variant('kind', [v.looseObject(localEntries), v.looseObject(raviEntries)], `expected kind 'local' or 'ravi'`),
  v.rawCheck(({ dataset, addIssue }) => {
    const kind = (dataset.value as { kind?: unknown }).kind;
    if (kind === 'local' || kind === 'ravi') reportUnknownKeys(dataset.value, kind === 'ravi' ? raviEntries : localEntries, addIssue);
  }),
);

const identitySchema = section({
  name: v.optional(v.pipe(template(IDENTITY_PLACEHOLDERS), v.check((name) => name.trim() !== '', 'must not be empty'))),
});

const envSchema = section({
  file: v.optional(v.pipe(v.string(STRING), typedCheck(checkEnvFile))),
  vars: v.optional(v.pipe(v.custom<Record<string, string>>(isPlainObject, OBJECT), v.record(v.string(), template(ENV_PLACEHOLDERS), OBJECT), typedCheck(checkVarNames))),
  secrets: v.optional(v.pipe(stringList(v.pipe(v.string(STRING), v.regex(SECRET_NAME, `secret names must match ${SECRET_NAME.source}`))), typedCheck(checkNoDuplicates))),
  writeSecrets: v.optional(v.boolean(BOOLEAN)),
});

const secretsSchema = section({ vault: v.optional(nonEmpty) });

const orphansSchema = section({ grace: v.optional(duration) });

const poolSchema = section({
  quarantine: v.optional(duration),
  keepIdle: v.optional(wholeNumber('expected a whole number of at least 0', 0)),
});

const portsSchema = section({
  perWorktree: wholeNumber('expected a whole number of ports from 1 to 1000', 1, 1000),
  range: v.pipe(
    v.string(STRING),
    typedCheck((value: string, addIssue) => {
      const match = PORTS_RANGE.exec(value);
      const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
      if (!match) addIssue({ message: "expected a range of ports such as '20000-29999'" });
      else if (first < 1 || last > 65_535 || first > last) addIssue({ message: 'expected FIRST-LAST with 1 <= FIRST <= LAST <= 65535' });
    }),
  ),
});

const glob = v.pipe(v.string(STRING), typedCheck(checkGlob));

const port = wholeNumber('expected a port number from 0 (any free port) to 65535', 0, 65_535); // 0: any free port (tests)
const COUNT = 'expected a whole number of at least 1';
const mailSchema = section({
  enabled: v.optional(v.boolean(BOOLEAN)),
  smtpPort: v.optional(port),
  smsPort: v.optional(port),
  maxMessageBytes: v.optional(wholeNumber('expected a whole number of bytes, at least 1024', 1024)),
  maxAge: v.optional(duration),
  maxMessages: v.optional(wholeNumber(COUNT, 1)),
});

const dashboardSchema = section({ enabled: v.optional(v.boolean(BOOLEAN)), port: v.optional(port) });

const rawConfigEntries = {
  repos: v.optional(stringList(nonEmpty)),
  provider: v.optional(providerSchema),
  identity: v.optional(identitySchema),
  env: v.optional(envSchema),
  secrets: v.optional(secretsSchema),
  orphans: v.optional(orphansSchema),
  pool: v.optional(poolSchema),
  ports: v.optional(portsSchema),
  include: v.optional(stringList(glob)),
  exclude: v.optional(stringList(glob)),
  mail: v.optional(mailSchema),
  dashboard: v.optional(dashboardSchema),
  concurrency: v.optional(wholeNumber(CONCURRENCY, 1, MAX_CONCURRENCY)),
  stateDir: v.optional(nonEmpty),
};

export const rawConfigSchema = section(rawConfigEntries, 'expected an object (the default export)');

// The schema and the hand-written RawConfig must describe the same thing; this fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesRawConfig: Same<v.InferInput<typeof rawConfigSchema>, RawConfig> = true;
void schemaMatchesRawConfig;

/** The keys an object at `path` accepts, for "did you mean" hints; `value` is that object (provider kind). */
export function knownKeysAt(path: readonly PropertyKey[], value: unknown): readonly string[] {
  const where = path.join('.');
  if (where === '') return Object.keys(rawConfigEntries);
  if (where === 'provider') {
    const isRavi = typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ravi';
    return Object.keys(isRavi ? raviEntries : localEntries);
  }
  const schema = where in SECTIONS ? SECTIONS[where as keyof typeof SECTIONS] : undefined;
  return schema ? Object.keys(schema.pipe[1].entries) : [];
}

const SECTIONS = { identity: identitySchema, env: envSchema, secrets: secretsSchema, orphans: orphansSchema, pool: poolSchema, ports: portsSchema, mail: mailSchema, dashboard: dashboardSchema };

/** Keys only the ravi provider takes, so `{ kind: 'local', apiUrl }` can say so. */
export const RAVI_ONLY_KEYS: readonly string[] = Object.keys(raviEntries).filter((key) => key !== 'kind');

type AddIssue = (info: { message: string; expected?: string; input?: unknown; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void;

/**
 * An object of known keys: not a list (valibot's objects take arrays), and every unknown key reported
 * (valibot's strictObject stops at the first), so one run names every typo.
 */
function section<const E extends v.ObjectEntries>(entries: E, message: string = OBJECT) {
  return v.pipe(
    v.custom<v.InferInput<v.StrictObjectSchema<E, undefined>>>(isPlainObject, message),
    v.looseObject(entries, 'required'), // its own message is only seen for a missing required key: isPlainObject ran
    v.rawCheck(({ dataset, addIssue }) => reportUnknownKeys(dataset.value, entries, addIssue)),
  );
}

function reportUnknownKeys(value: unknown, entries: v.ObjectEntries, addIssue: AddIssue): void {
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(entries, key)) continue;
    addIssue({ message: 'unknown key', expected: UNKNOWN_KEY, input: key, path: [{ type: 'object', origin: 'key', input: value, key, value: value[key] }] });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function template(allowed: readonly string[]) {
  return v.pipe(
    v.string(STRING),
    typedCheck((value: string, addIssue) => {
      // Identifier-like tokens are meant as placeholders (`{port:N}` too); other braces (JSON values) stay literal.
      for (const match of value.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)(:\d+)?\s*\}/g)) {
        const [token, name = '', index = ''] = match;
        if (allowed.includes(name) && token === `{${name}${index}}` && (index === '' || name === 'port')) continue;
        const hint = closest(name, allowed);
        addIssue({
          message:
            `unknown placeholder ${token}` +
            (hint ? ` (did you mean {${hint}}?)` : '') +
            `; allowed: ${allowed.map((p) => `{${p}}`).join(' ')}`,
          expected: ECHO_NOTHING,
        });
      }
    }),
  );
}

/** A check of our own on a value of the right type (valibot runs a pipe's checks after a type error too). */
function typedCheck<T>(check: (value: T, addIssue: AddIssue) => void) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (dataset.typed) check(dataset.value, addIssue as AddIssue);
  });
}

function checkEnvFile(value: string, addIssue: AddIssue): void {
  const problem = envFileProblem(value);
  if (problem) addIssue({ message: problem });
}

/** Why `raw` is not a safe env file path inside a worktree, or null. */
function envFileProblem(raw: string): string | null {
  const slashed = raw.trim().replaceAll('\\', '/');
  if (slashed === '') return 'must not be empty';
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return 'must be a path relative to the worktree, not absolute';
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return 'must name a file inside the worktree';
  let depth = 0;
  for (const segment of segments) {
    depth += segment === '..' ? -1 : 1;
    if (depth < 0) return 'must stay inside the worktree (no ".." leading out of it)';
  }
  if (depth === 0 || slashed.endsWith('/')) return 'must name a file inside the worktree, not a folder';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'must not be inside .git';
  return null;
}

function checkVarNames(vars: Record<string, string>, addIssue: AddIssue): void {
  for (const name of Object.keys(vars)) {
    if (!VAR_NAME.test(name)) {
      const path: [v.IssuePathItem] = [{ type: 'object', origin: 'key', input: vars, key: name, value: vars[name] }];
      addIssue({ message: `variable names must match ${VAR_NAME.source}`, expected: ECHO_INPUT, input: name, path });
    }
  }
}

function checkNoDuplicates(names: string[], addIssue: AddIssue): void {
  names.forEach((name, index) => {
    const first = names.indexOf(name);
    if (first !== index) addIssue({ message: `duplicate of env.secrets[${first}]`, path: [{ type: 'array', origin: 'value', input: names, key: index, value: name }] });
  });
}

/**
 * picomatch (CommonJS) loads on the first pattern to check, as worktree-filter.ts loads it on the first to match: most
 * configs have none, and loading it was 5-10 ms of every validation (a fresh HOME's first command, an edited config).
 */
let picomatch: typeof import('picomatch') | undefined;

function checkGlob(value: string, addIssue: AddIssue): void {
  try {
    picomatch ??= createRequire(import.meta.url)('picomatch') as typeof import('picomatch');
    picomatch.makeRe(value, { debug: true }); // debug: throw on a bad pattern instead of matching nothing
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/: /, '') : String(error);
    addIssue({ message: `invalid glob: ${reason}` });
  }
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value.trim())) return false;
  const { protocol, hostname } = new URL(value.trim());
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

function isDuration(value: string | number): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}
