/**
 * The config's placeholders, name rules and port-range form: what both the schema (schema.ts) and the
 * schema-free paths (defaults.ts, the reconciler) read. No schema here, so a command with a valid config never loads it.
 */
export const IDENTITY_PLACEHOLDERS = ['repo', 'worktree', 'branch'] as const;
export const ENV_PLACEHOLDERS = ['email', 'phone', 'identity', 'worktree', 'branch', 'repo', 'port'] as const;
/** Placeholders only an identity can fill: a config without them needs no identities (only ports, say). */
export const IDENTITY_PLACEHOLDERS_IN_ENV = ['email', 'phone', 'identity'] as const;
/** `{port}` is a block's first port, `{port:N}` its N-th (0-based). */
export const PORT_PLACEHOLDER = /\{port(?::(\d+))?\}/g;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;
export const MAX_CONCURRENCY = 64;
export const PORTS_RANGE = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/;

/** `'20000-29999'` -> [20000, 29999]; the schema has checked the form. */
export function parsePortRange(range: string): [number, number] {
  const match = PORTS_RANGE.exec(range);
  return [Number(match?.[1]), Number(match?.[2])];
}
