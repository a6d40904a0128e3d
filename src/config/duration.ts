/** Durations in config (`orphans.grace`): '30s', '10m', '1h', a number of milliseconds, or 0. */
import ms from 'ms';

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
  return text === '' ? undefined : ms(text as ms.StringValue);
}
