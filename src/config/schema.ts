/**
 * The zod schema of `RawConfig`: shapes, strict objects (typos are errors) and each field's own rule.
 * Messages say what is expected and (placeholder names aside) not the value: normalize.ts appends the value
 * unless it may be secret.
 * Rules that span fields (vault required, secret/var clashes) and defaults live in defaults.ts.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import { closest } from '../util/closest.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import type { RawConfig } from './types.js';
import { ENV_PLACEHOLDERS, IDENTITY_PLACEHOLDERS, MAX_CONCURRENCY, PORTS_RANGE, SECRET_NAME, VAR_NAME } from './names.js';

export * from './names.js';

export { closest };

const OBJECT = { error: 'expected an object' };
const STRING = { error: 'expected a string' };
const CONCURRENCY = { error: `expected an integer from 1 to ${MAX_CONCURRENCY}` };
const nonEmpty = z.string(STRING).trim().min(1, { error: 'must not be empty' });
const stringList = (item: z.ZodType<string, string>) => z.array(item, { error: 'expected a list of strings' });

const localProvider = z.strictObject({ kind: z.literal('local') }, OBJECT);
const raviProvider = z.strictObject(
  {
    kind: z.literal('ravi'),
    apiUrl: z.string(STRING).refine(isHttpUrl, { error: 'expected an http(s) URL such as https://ravi.id' }).optional(),
    credentialsFile: nonEmpty.optional(),
    provisionPhone: z.boolean({ error: 'expected true or false' }).optional(),
  },
  OBJECT,
);
const providerSchema = z.discriminatedUnion('kind', [localProvider, raviProvider], {
  error: `expected kind 'local' or 'ravi'`,
});

const identitySchema = z.strictObject(
  { name: template(IDENTITY_PLACEHOLDERS).refine((name) => name.trim() !== '', { error: 'must not be empty' }).optional() },
  OBJECT,
);

const envSchema = z.strictObject(
  {
    file: z.string(STRING).superRefine(checkEnvFile).optional(),
    vars: z.record(z.string(), template(ENV_PLACEHOLDERS), OBJECT).superRefine(checkVarNames).optional(),
    secrets: stringList(z.string(STRING).regex(SECRET_NAME, { error: `secret names must match ${SECRET_NAME.source}` }))
      .superRefine(checkNoDuplicates)
      .optional(),
    writeSecrets: z.boolean({ error: 'expected true or false' }).optional(),
  },
  OBJECT,
);

const secretsSchema = z.strictObject({ vault: nonEmpty.optional() }, OBJECT);

const orphansSchema = z.strictObject(
  {
    grace: z
      .union([z.string(), z.number()], { error: `expected ${DURATION_HINT}` })
      .refine(isDuration, { error: `expected ${DURATION_HINT} (not negative)` })
      .optional(),
  },
  OBJECT,
);

const KEEP_IDLE = { error: 'expected a whole number of at least 0' };
const poolSchema = z.strictObject(
  {
    quarantine: z
      .union([z.string(), z.number()], { error: `expected ${DURATION_HINT}` })
      .refine(isDuration, { error: `expected ${DURATION_HINT} (not negative)` })
      .optional(),
    keepIdle: z.number(KEEP_IDLE).int(KEEP_IDLE).min(0, KEEP_IDLE).optional(),
  },
  OBJECT,
);

const PER_WORKTREE = { error: 'expected a whole number of ports from 1 to 1000' };
const portsSchema = z.strictObject(
  {
    perWorktree: z.number(PER_WORKTREE).int(PER_WORKTREE).min(1, PER_WORKTREE).max(1000, PER_WORKTREE),
    range: z.string(STRING).superRefine((value, ctx) => {
      const match = PORTS_RANGE.exec(value);
      const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
      if (!match) ctx.addIssue({ code: 'custom', message: "expected a range of ports such as '20000-29999'" });
      else if (first < 1 || last > 65_535 || first > last) ctx.addIssue({ code: 'custom', message: 'expected FIRST-LAST with 1 <= FIRST <= LAST <= 65535' });
    }),
  },
  OBJECT,
);

const glob = z.string(STRING).superRefine(checkGlob);

const PORT = { error: 'expected a port number from 0 (any free port) to 65535' };
const port = z.number(PORT).int(PORT).min(0, PORT).max(65_535, PORT); // 0: any free port (tests)
const COUNT = { error: 'expected a whole number of at least 1' };
const mailSchema = z.strictObject(
  {
    enabled: z.boolean({ error: 'expected true or false' }).optional(),
    smtpPort: port.optional(),
    smsPort: port.optional(),
    maxMessageBytes: z.number(COUNT).int(COUNT).min(1024, { error: 'expected at least 1024 bytes' }).optional(),
    maxAge: z
      .union([z.string(), z.number()], { error: `expected ${DURATION_HINT}` })
      .refine(isDuration, { error: `expected ${DURATION_HINT} (not negative)` })
      .optional(),
    maxMessages: z.number(COUNT).int(COUNT).min(1, COUNT).optional(),
  },
  OBJECT,
);

const dashboardSchema = z.strictObject({ enabled: z.boolean({ error: 'expected true or false' }).optional(), port: port.optional() }, OBJECT);

const rawConfigShape = {
  repos: stringList(nonEmpty).optional(),
  provider: providerSchema.optional(),
  identity: identitySchema.optional(),
  env: envSchema.optional(),
  secrets: secretsSchema.optional(),
  orphans: orphansSchema.optional(),
  pool: poolSchema.optional(),
  ports: portsSchema.optional(),
  include: stringList(glob).optional(),
  exclude: stringList(glob).optional(),
  mail: mailSchema.optional(),
  dashboard: dashboardSchema.optional(),
  concurrency: z.number(CONCURRENCY).int(CONCURRENCY).min(1, CONCURRENCY).max(MAX_CONCURRENCY, CONCURRENCY).optional(),
  stateDir: nonEmpty.optional(),
};

export const rawConfigSchema = z.strictObject(rawConfigShape, { error: 'expected an object (the default export)' });

// The schema and the hand-written RawConfig must describe the same thing; this fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesRawConfig: Same<z.input<typeof rawConfigSchema>, RawConfig> = true;
void schemaMatchesRawConfig;

/** The keys an object at `path` accepts, for "did you mean" hints; `value` is that object (provider kind). */
export function knownKeysAt(path: readonly PropertyKey[], value: unknown): readonly string[] {
  const where = path.join('.');
  if (where === '') return Object.keys(rawConfigShape);
  if (where === 'provider') {
    const isRavi = typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ravi';
    return Object.keys((isRavi ? raviProvider : localProvider).shape);
  }
  const nested: Record<string, z.ZodObject> = { identity: identitySchema, env: envSchema, secrets: secretsSchema, orphans: orphansSchema, pool: poolSchema, ports: portsSchema, mail: mailSchema, dashboard: dashboardSchema };
  const schema = nested[where];
  return schema ? Object.keys(schema.shape) : [];
}

/** Keys only the ravi provider takes, so `{ kind: 'local', apiUrl }` can say so. */
export const RAVI_ONLY_KEYS: readonly string[] = Object.keys(raviProvider.shape).filter((key) => key !== 'kind');

function template(allowed: readonly string[]) {
  return z.string(STRING).superRefine((value, ctx) => {
    // Identifier-like tokens are meant as placeholders (`{port:N}` too); other braces (JSON values) stay literal.
    for (const match of value.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)(:\d+)?\s*\}/g)) {
      const [token, name = '', index = ''] = match;
      if (allowed.includes(name) && token === `{${name}${index}}` && (index === '' || name === 'port')) continue;
      const hint = closest(name, allowed);
      ctx.addIssue({
        code: 'custom',
        message:
          `unknown placeholder ${token}` +
          (hint ? ` (did you mean {${hint}}?)` : '') +
          `; allowed: ${allowed.map((p) => `{${p}}`).join(' ')}`,
        params: { echo: false },
      });
    }
  });
}

function checkEnvFile(value: string, ctx: z.RefinementCtx): void {
  const problem = envFileProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
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

function checkVarNames(vars: Record<string, string>, ctx: z.RefinementCtx): void {
  for (const name of Object.keys(vars)) {
    if (!VAR_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `variable names must match ${VAR_NAME.source}`, params: { got: name } });
    }
  }
}

function checkNoDuplicates(names: string[], ctx: z.RefinementCtx): void {
  names.forEach((name, index) => {
    const first = names.indexOf(name);
    if (first !== index) ctx.addIssue({ code: 'custom', path: [index], message: `duplicate of env.secrets[${first}]` });
  });
}

function checkGlob(value: string, ctx: z.RefinementCtx): void {
  try {
    picomatch.makeRe(value, { debug: true }); // debug: throw on a bad pattern instead of matching nothing
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/: /, '') : String(error);
    ctx.addIssue({ code: 'custom', message: `invalid glob: ${reason}` });
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
