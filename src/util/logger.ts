/**
 * Structured logs (pino) on stderr, so stdout stays for the human or JSON output. Key material is
 * redacted by path as a second line of defence: the code never logs secret values in the first place.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

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

export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino({ level, base: { pid: process.pid }, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, stream);
}
