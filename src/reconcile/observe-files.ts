/** Reads what we manage inside one worktree: the env file and `.ravi/config.json`, never keeping key material. */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFileSync } from '../files/recorded-reads.js';
import type { ObservedEnvFile, ObservedScopedConfig } from './observed.js';

/**
 * Synchronous inside: an env file is small, and a synchronous lstat and read cost microseconds where the promise
 * API pays a thread-pool round trip for each of lstat, open, fstat, read and close (issue 16: N = 2000).
 */
export async function readEnvFile(worktreePath: string, relPath: string): Promise<ObservedEnvFile> {
  const path = join(worktreePath, relPath);
  try {
    const stats = lstatSync(path);
    if (stats.isDirectory()) return { path, content: null, error: `${path} is a directory, not an env file` };
    // Writing through a symlink would put secrets wherever it points (another repo, a shared file).
    if (stats.isSymbolicLink()) return { path, content: null, error: `${path} is a symlink; ravi-orchestrator will not write secrets through it (replace it with a plain file, or set env.file)` };
    // A FIFO or socket would block or fail the read; only plain files are env files.
    if (!stats.isFile()) return { path, content: null, error: `${path} is not a regular file` };
    return { path, content: readRegularFileSync(path, { noFollow: true }), error: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, content: null, error: null };
    return { path, content: null, error: `cannot read ${path}: ${(error as Error).message}` };
  }
}

/** Synchronous inside, like readEnvFile: a small file, one per worktree in every pass (a FIFO there never blocks it). */
export async function readScopedConfig(worktreePath: string, relPath: string): Promise<ObservedScopedConfig> {
  const path = join(worktreePath, relPath);
  const absent = { path, exists: false, identityUuid: null, hasIdentityKey: false, hasManagementKey: false, malformed: false };
  let text: string;
  try {
    text = readRegularFileSync(path).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? absent : { ...absent, exists: true, malformed: true };
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ...absent, exists: true, malformed: true };
    const record = json as Record<string, unknown>;
    return {
      path,
      exists: true,
      identityUuid: typeof record.identity_uuid === 'string' ? record.identity_uuid : null,
      hasIdentityKey: typeof record.identity_key === 'string' && record.identity_key !== '',
      hasManagementKey: typeof record.management_key === 'string' && record.management_key !== '',
      malformed: false,
    };
  } catch {
    return { ...absent, exists: true, malformed: true };
  }
}
