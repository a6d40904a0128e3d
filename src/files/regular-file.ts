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
  return readJudgedAndClose(openSync(path, openFlags(options.noFollow === true)), path);
}

/** The open file's bytes once its fstat says it is a plain file (EINVAL otherwise); closes `fd` either way. */
function readJudgedAndClose(fd: number, path: string, into?: (size: number) => Buffer): Buffer {
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path);
    return readOpenFile(fd, stats.size, into);
  } finally {
    closeSync(fd);
  }
}

/** Read-only and non-blocking (a FIFO fails its read instead of waiting); `noFollow` also refuses a symlink (ELOOP). */
export function openFlags(noFollow: boolean): number {
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
export function readOpenFile(fd: number, size: number, into?: (size: number) => Buffer): Buffer {
  const buffer = into === undefined ? Buffer.allocUnsafe(size) : into(size).subarray(0, size);
  let at = 0;
  while (at < size) {
    const read = readSync(fd, buffer, at, size - at, null);
    if (read === 0) break;
    at += read;
  }
  return at === size ? buffer : buffer.subarray(0, at);
}

/** Reused by every short read (all synchronous, so never two at once); a file that fills it is read the long way. */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/**
 * A small file's bytes in three calls (open, one read at offset 0, close) where readRegularFileSync makes four, for
 * a pass that keeps no stamp: in a short-lived process the fstat's fs.Stats (with its four Dates) is about a
 * quarter of a read's cost (measured: 22 against 29.5 us a file, cold, N = 500). What the fstat told is told
 * otherwise: a read at an offset fails on a FIFO (ESPIPE; opened non-blocking, so it never waits) and on a folder
 * (EISDIR), and a socket cannot be opened (ENXIO). A file that fills 64 KiB (a large one, or a device such as
 * /dev/zero) is read the long way, judged by fstat. A device that gives fewer bytes (/dev/null) reads as those
 * bytes, as git reads such a file. Errors are thrown as readRegularFileSync throws them (ENOENT when absent).
 */
export function readSmallFileSync(path: string, options: { noFollow?: boolean } = {}): Buffer {
  const { fd, read } = openAndReadHead(path, options.noFollow === true);
  if (read === SCRATCH.length) return readJudgedAndClose(fd, path); // readOpenFile reads from 0: the pread moved nothing
  closeSync(fd);
  return Buffer.from(SCRATCH.subarray(0, read)); // a copy: the scratch is the next read's
}

/**
 * `use` applied to a plain file's bytes, which it must not keep: readSmallFileSync without its copy. A file that
 * fits the short reads' scratch is seen there; a larger one is read into `large(size)` (a buffer the caller reuses:
 * a pass reads a 2 MB git index per worktree, and a fresh buffer each time cost more in page faults than the read,
 * 1.9 against 0.5 ms, Node 20.20, 2026-12-02). Throws as readSmallFileSync throws.
 */
export function scanSmallFileSync<T>(path: string, use: (bytes: Buffer) => T, large: (size: number) => Buffer): T {
  const { fd, read } = openAndReadHead(path, false);
  if (read === SCRATCH.length) return use(readJudgedAndClose(fd, path, large));
  closeSync(fd);
  return use(SCRATCH.subarray(0, read));
}

/** `path` opened as readSmallFileSync opens it, and up to the scratch's length read into it from offset 0; the caller closes `fd`. */
function openAndReadHead(path: string, noFollow: boolean): { fd: number; read: number } {
  const fd = openSync(path, openFlags(noFollow));
  try {
    return { fd, read: readSync(fd, SCRATCH, 0, SCRATCH.length, 0) };
  } catch (error) {
    closeSync(fd);
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'ESPIPE' || code === 'EISDIR' ? notRegular(path) : error; // as readRegularFileSync refuses them
  }
}

export function notRegular(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
}

/** ENOENT, or ENOTDIR (a file where a folder was expected): absent as far as the path goes. */
export function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
