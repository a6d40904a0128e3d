/**
 * The daemon's dashboard token lives in `<stateDir>/dashboard-token` (0600), so a bookmarked link keeps
 * working across daemon restarts. Delete the file to revoke every link; the next start makes a new one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../files/atomic-write.js';
import { newToken } from './access.js';

export function tokenFileFor(stateDir: string): string {
  return join(stateDir, 'dashboard-token');
}

export async function readOrCreateToken(stateDir: string): Promise<string> {
  const file = tokenFileFor(stateDir);
  const existing = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  // Only a token we could have made (43 base64url characters); anything else is replaced, not trusted.
  if (/^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = newToken();
  await writeFileAtomically(file, `${token}\n`);
  return token;
}
