/** Flags every command takes, declared once. Parsing `--log-level` must not load pino: the names live apart. */
import { booleanFlag, stringFlag, type Flag } from './flags.js';
import { LOG_LEVELS } from '../util/log-levels.js';
import type { LevelWithSilent } from 'pino';

const logLevel = stringFlag({
  valueName: 'LEVEL',
  help: 'structured logs on stderr at this level and above',
  defaultText: 'error',
  choices: LOG_LEVELS,
});

export const GLOBAL_FLAGS = {
  help: booleanFlag({ short: 'h', help: 'show help for the command' }),
  // Human output already reports failures; logs are for --log-level info/debug and the daemon.
  'log-level': { ...logLevel, parse: (raw, name) => (logLevel.parse(raw, name) ?? 'error') as LevelWithSilent } satisfies Flag<LevelWithSilent>,
};

export type GlobalFlags = typeof GLOBAL_FLAGS;
