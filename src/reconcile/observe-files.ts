/** Reads what we manage inside one worktree: the env file and `.ravi/config.json`, never keeping key material. */
import { closeSync, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { openFlags, readOpenFile, readSmallFileSync } from '../files/regular-file.js';
import type { ObservedEnvFile, ObservedScopedConfig } from './observed.js';

/**
 * Synchronous inside: an env file is small, and synchronous calls cost microseconds where the promise API pays a
 * thread-pool round trip for each of open, fstat, read and close (issue 16: N = 2000). Opened without following a
 * symlink and judged by the open handle's fstat: no lstat first, one syscall fewer per worktree and pass.
 */
export async function readEnvFile(worktreePath: string, relPath: string): Promise<ObservedEnvFile> {
  const path = join(worktreePath, relPath);
  let fd: number;
  try {
    fd = openSync(path, openFlags(true));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, content: null, error: null };
    return notReadable(path, error); // a symlink (ELOOP), a socket (ENXIO), ...: the lstat says which
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return { path, content: null, error: `${path} is a directory, not an env file` };
    // A FIFO or socket would block or fail the read; only plain files are env files.
    if (!stats.isFile()) return { path, content: null, error: `${path} is not a regular file` };
    return { path, content: readOpenFile(fd, stats.size), error: null };
  } catch (error) {
    return { path, content: null, error: `cannot read ${path}: ${(error as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** Why `path` could not be opened for reading, named by its lstat when that tells (the rare path). */
function notReadable(path: string, openError: unknown): ObservedEnvFile {
  let stats: Stats | undefined;
  try {
    stats = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    stats = undefined;
  }
  if (stats === undefined) return { path, content: null, error: `cannot read ${path}: ${(openError as Error).message}` };
  // Writing through a symlink would put secrets wherever it points (another repo, a shared file).
  if (stats.isSymbolicLink()) return { path, content: null, error: `${path} is a symlink; ravi-orchestrator will not write secrets through it (replace it with a plain file, or set env.file)` };
  if (!stats.isFile() && !stats.isDirectory()) return { path, content: null, error: `${path} is not a regular file` };
  return { path, content: null, error: `cannot read ${path}: ${(openError as Error).message}` };
}

/**
 * Synchronous inside, like readEnvFile: a small file, one per worktree in every pass (a FIFO there never blocks it).
 * Without an fstat (readSmallFileSync): what is not a plain file is refused all the same, and reads as malformed.
 */
export async function readScopedConfig(worktreePath: string, relPath: string): Promise<ObservedScopedConfig> {
  const path = join(worktreePath, relPath);
  const absent = { path, exists: false, identityUuid: null, hasIdentityKey: false, hasManagementKey: false, malformed: false };
  let text: string;
  try {
    text = readSmallFileSync(path).toString('utf8');
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
