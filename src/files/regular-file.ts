/**
 * Plain files read synchronously and safely: opened non-blocking and judged by the open handle, so a FIFO put where
 * a file was expected fails (EINVAL) instead of blocking the process, and read with the size that fstat gave.
 * Shared by the recorded reads (recorded-reads.ts), the env and scoped-config reads (observe-files.ts) and git's
 * files (stamped-reads.ts).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * A plain file's bytes, read synchronously. Opened non-blocking and checked through the open handle: a FIFO put
 * where a file was expected must fail (EINVAL), never block the process; `noFollow` also refuses a symlink (ELOOP).
 */
export function readRegularFileSync(path: string, options: { noFollow?: boolean } = {}): Buffer {
  const fd = openSync(path, openFlags(options.noFollow === true));
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path);
    return readOpenFile(fd, stats.size);
  } finally {
    closeSync(fd);
  }
}

function openFlags(noFollow: boolean): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0);
}

/** The path opened (as readRegularFileSync opens it) with its fstat, or null when absent. The caller closes `fd`. */
export function openRegularFile(path: string): { fd: number; stats: Stats } | null {
  let fd: number;
  try {
    fd = openSync(path, openFlags(false));
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
  try {
    return { fd, stats: fstatSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Up to `size` bytes (the size an fstat just gave), read in a loop like fs.readFileSync without its second fstat.
 * A file that shrank meanwhile gives what is there; one that grew, its first `size` bytes (its stamp will differ).
 */
export function readOpenFile(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const read = readSync(fd, buffer, at, size - at, null);
    if (read === 0) break;
    at += read;
  }
  return at === size ? buffer : buffer.subarray(0, at);
}

export function notRegular(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
}

/** ENOENT, or ENOTDIR (a file where a folder was expected): absent as far as the path goes. */
export function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
