/**
 * Reads the Ravi CLI's credentials file (`~/.ravi/config.json`, written by `ravi auth login`).
 * Only the management key is required: the orchestrator creates identities and mints scoped keys.
 * No message or cause built here ever carries key material.
 *
 * Read synchronously: the first request of a one-shot process waits for this file, and an asynchronous read
 * is answered only when the main thread is next free, which in a `reconcile` is after its engine's modules
 * have loaded (measured: the read of a 200-byte file "took" 95-140 ms and held the first request back that
 * long). A small local file costs microseconds; opened non-blocking, a FIFO put there fails instead of waiting.
 */
import { readRegularFileSync } from '../../files/regular-file.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../../util/errors.js';

export interface RaviCredentials {
  /** Absolute path the credentials were read from. */
  readonly file: string;
  readonly managementKey: string;
  readonly identityKey: string | null;
  readonly identityUuid: string | null;
  readonly identityName: string | null;
  readonly userEmail: string | null;
}

export function readRaviCredentials(file: string): RaviCredentials {
  const path = expandHome(file);
  let text: string;
  try {
    text = readRegularFileSync(path).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`;
    throw notConfigured(`Ravi credentials file ${path} ${problem}`, error);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // No cause: V8's JSON errors quote the input, which may be a key.
    throw notConfigured(`Ravi credentials file ${path} is not valid JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw notConfigured(`Ravi credentials file ${path} does not hold a JSON object`);
  }
  const fields = raw as Record<string, unknown>;
  const managementKey = stringField(fields, 'management_key');
  if (managementKey === null) {
    throw notConfigured(
      `Ravi credentials file ${path} has no management_key (an identity-scoped config cannot create identities)`,
    );
  }
  return {
    file: path,
    managementKey,
    identityKey: stringField(fields, 'identity_key'),
    identityUuid: stringField(fields, 'identity_uuid'),
    identityName: stringField(fields, 'identity_name'),
    userEmail: stringField(fields, 'user_email'),
  };
}

/** Where `ravi auth login` stores the account's credentials. */
export function defaultCredentialsFile(): string {
  return join(homedir(), '.ravi', 'config.json');
}

function notConfigured(what: string, cause?: unknown): ProviderError {
  return new ProviderError(`${what}: run \`ravi auth login\` to sign in, or set provider.credentialsFile`, {
    code: 'NOT_CONFIGURED',
    transient: false,
    cause,
  });
}

function stringField(fields: Record<string, unknown>, name: string): string | null {
  const value = fields[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? join(homedir(), file.slice(1)) : file;
}
