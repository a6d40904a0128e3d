/**
 * Durable JSON documents of the local provider under `<stateDir>/local/`: owner-only files,
 * atomic rewrites, and a clear refusal (never a silent reset) when one is corrupt.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { writeFileAtomically } from '../../files/atomic-write.js';
import { ProviderError } from '../../util/errors.js';
import { firstIssue } from '../../files/schema-issue.js';

export async function readJsonDocument<T>(file: string, schema: v.GenericSchema<unknown, T>, empty: () => T): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw new ProviderError(`Cannot read ${file}: ${(error as Error).message}`, { code: 'BAD_RESPONSE', cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProviderError(`The local provider's file ${file} is not valid JSON; restore or remove it by hand`, { code: 'BAD_RESPONSE', cause: error });
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    throw new ProviderError(`The local provider's file ${file} is malformed at ${firstIssue(parsed.issues)}; restore or remove it by hand`, { code: 'BAD_RESPONSE' });
  }
  return parsed.output;
}

export async function writeJsonDocument(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
}
