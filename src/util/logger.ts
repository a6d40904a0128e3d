/**
 * Structured logs (pino) on stderr, so stdout stays for the human or JSON output. Key material is
 * redacted by path as a second line of defence: the code never logs secret values in the first place.
 *
 * A command's logger loads pino on its first line at an enabled level, not before: at the CLI's default
 * level (error) most runs log nothing, and loading pino costs about 25 ms of a 300 ms `reconcile` (Node 20,
 * 2 cores). pino is CommonJS, so it loads synchronously at that first line and the call stays synchronous.
 */
import { createRequire } from 'node:module';
import type { LevelWithSilent, LogFn, Logger as PinoLogger } from 'pino';

export { LOG_LEVELS, isLogLevel } from './log-levels.js';

export const LOG_REDACT_PATHS: readonly string[] = [
  'key',
  'value',
  'secret',
  'secrets',
  'identity_key',
  'management_key',
  'api_key',
  'authorization',
  '*.key',
  '*.value',
  '*.secret',
  '*.secrets',
  '*.identity_key',
  '*.management_key',
  '*.api_key',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

/** What the code logs through: pino's methods that it uses. A pino logger is one (the daemon's is). */
export interface Logger {
  readonly level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 2): Logger {
  return new LazyLogger(level, () => {
    const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
    const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
    return pino({ level, base: { pid: process.pid }, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, stream);
  });
}

const RANK: Readonly<Record<LevelWithSilent, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** Forwards to the pino logger `make` returns, made on the first line at an enabled level. */
class LazyLogger implements Logger {
  readonly level: LevelWithSilent;
  readonly #make: () => PinoLogger;
  #real: PinoLogger | null = null;

  constructor(level: LevelWithSilent, make: () => PinoLogger) {
    this.level = level;
    this.#make = make;
  }

  fatal: LogFn = (...args: Parameters<LogFn>) => this.#log('fatal', args);
  error: LogFn = (...args: Parameters<LogFn>) => this.#log('error', args);
  warn: LogFn = (...args: Parameters<LogFn>) => this.#log('warn', args);
  info: LogFn = (...args: Parameters<LogFn>) => this.#log('info', args);
  debug: LogFn = (...args: Parameters<LogFn>) => this.#log('debug', args);
  trace: LogFn = (...args: Parameters<LogFn>) => this.#log('trace', args);

  child(bindings: Record<string, unknown>): Logger {
    return new LazyLogger(this.level, () => this.#pino().child(bindings));
  }

  #log(level: Exclude<LevelWithSilent, 'silent'>, args: Parameters<LogFn>): void {
    if (RANK[level] < RANK[this.level]) return;
    (this.#pino()[level] as (...a: Parameters<LogFn>) => void)(...args);
  }

  #pino(): PinoLogger {
    this.#real ??= this.#make();
    return this.#real;
  }
}
