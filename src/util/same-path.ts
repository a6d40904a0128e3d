/** Path equality that sees through symlinks (macOS /var -> /private/var, a user's ~/code symlink). */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';

export async function canonicalPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

export async function samePath(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  return (await canonicalPath(a)) === (await canonicalPath(b));
}
