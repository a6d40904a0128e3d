/**
 * Crash-safe file replacement: a write lands whole or fails loudly, and the old file stays exactly as it was.
 *
 * Only the two fsyncs wait in Node's thread pool; the other calls (lstat, readdir, open, write, fstat, close,
 * rename) are synchronous: on a small local file each costs a few microseconds, where a thread-pool round trip
 * cost the main thread tens of them and queued behind other writes' fsyncs (4 pool threads). A cold pass of 500
 * worktrees made 11 pool round trips per .env, now 2 (issue 16).
 *
 * Temp file in the same folder (named so git ignores it: temp-files.ts), every byte written in a loop and the
 * size checked after fsync, then rename over the old file and fsync the folder so the rename survives a power cut.
 *
 * A read-modify-write of a file a person also edits (a worktree's .env) says what it read (`basedOn`): just before
 * the rename the file is read again, and when another program changed it meanwhile nothing is replaced (code
 * CHANGED) and the caller reads and renders again (retryWhenChanged). Without it, an edit landing during our fsync
 * (milliseconds) was renamed over and lost: an editor that truncates and then writes, read between the two, gave
 * us an empty file, and our block alone replaced the user's lines. What is left is the microseconds between that
 * last read and the rename, which no rename-based writer (editors included) can close without a lock all share.
 * Why not write-file-atomic (npm) any more: it issues one `write` and ignores the count it returns, and write(2)
 * on a nearly full disk returns a short count without an error, so it renamed a 4096-byte prefix over an 8.5 KB
 * .env and reported success (still so in its 8.0.0, lib/index.js); its temp names (`<file>.<murmur hash>`) are
 * also not ones we can keep out of `git status`.
 */
import { chownSync, closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { fdSync } from './fd-calls.js';
import { isAbsent, readRegularFileSync } from './regular-file.js';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { releaseTempFile, removeStaleTempFiles, tempFileFor } from './temp-files.js';

export interface AtomicWriteOptions {
  /** File mode; files we write may hold secrets, so the default is owner-only. */
  readonly mode?: number;
  /** Mode for a folder we have to create. */
  readonly dirMode?: number;
  /**
   * Folders are created only inside this one, which must exist: a worktree's file never makes its worktree's
   * folder again after `git worktree remove` or `rm -rf` took it (the write fails with ENOENT instead).
   */
  readonly within?: string;
  /**
   * The content the new one was made from, null when the file did not exist: when the file holds anything else
   * just before the rename, it is left as it is and the write fails with code CHANGED.
   */
  readonly basedOn?: Uint8Array | null;
}

/** A file could not be replaced. `code` is the system's (ENOSPC, EDQUOT, EACCES, ...), SHORT_WRITE or CHANGED. */
export class AtomicWriteError extends Error {
  override readonly name: string = 'AtomicWriteError';
  readonly code: string;
  readonly file: string;
  /** False when the new content is in place and only the folder sync failed. */
  readonly unchanged: boolean;
  constructor(file: string, cause: unknown, unchanged: boolean) {
    const code = codeOf(cause);
    const outcome = unchanged ? 'it was left as it was' : 'the new content is in place but may not survive a power cut';
    super(`Could not write ${file}: ${reasonOf(cause, code)}; ${outcome}`, { cause });
    this.code = code;
    this.file = file;
    this.unchanged = unchanged;
  }
}

export async function writeFileAtomically(
  file: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await oneAtATime(resolve(file), async () => {
    const { target, owner } = targetOf(file);
    await replace(file, target, owner, bytes, options.mode ?? 0o600, { mode: options.dirMode ?? 0o700, within: options.within }, options.basedOn);
  });
}

/** Code of an AtomicWriteError whose file another program changed between our read and our rename. */
export const CHANGED_MEANWHILE = 'CHANGED';

/**
 * Runs a read-render-write `step` again while its write finds the file changed by another program since its read
 * (each run reads afresh, so that program's edit is kept); after `attempts` runs the last CHANGED error is thrown.
 */
export async function retryWhenChanged<T>(step: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof AtomicWriteError) || error.code !== CHANGED_MEANWHILE || attempt >= attempts) throw error;
    }
  }
}

/**
 * The file to replace and its owner, from one lstat: through a symlink the link stays and its target is replaced
 * (as write-file-atomic did). A file we cannot look at is written as if absent; the write itself then says why.
 */
function targetOf(file: string): { target: string; owner: { uid: number; gid: number } | null } {
  // throwIfNoEntry: a new file (each of a cold pass's) costs no error object, built with its stack, to say so.
  const info = orNull(() => lstatSync(file, { throwIfNoEntry: false }) ?? null);
  if (info === null) return { target: file, owner: null };
  if (!info.isSymbolicLink()) return { target: file, owner: info };
  const target = orNull(() => realpathSync(file)) ?? file;
  return { target, owner: orNull(() => statSync(target)) };
}

function orNull<T>(look: () => T): T | null {
  try {
    return look();
  } catch {
    return null;
  }
}

async function replace(
  file: string,
  target: string,
  owner: { uid: number; gid: number } | null,
  bytes: Uint8Array,
  mode: number,
  folders: FolderOptions,
  basedOn: Uint8Array | null | undefined,
): Promise<void> {
  removeStaleTempFiles(target); // before writing: on a full disk their space may be what we need
  const temp = tempFileFor(target);
  let fd: number | undefined;
  try {
    fd = openTemp(temp, mode, folders);
    writeAll(fd, bytes);
    await fdSync(fd);
    const written = fstatSync(fd);
    if (written.size !== bytes.byteLength) throw shortWrite(written.size, bytes.byteLength);
    if ((written.mode & 0o7777) !== mode) fchmodSync(fd, mode); // open's mode is filtered by the umask
    if (owner !== null && (owner.uid !== written.uid || owner.gid !== written.gid)) keepOwner(temp, owner.uid, owner.gid);
    const closing = fd;
    fd = undefined;
    closeSync(closing);
    if (process.env[PAUSE_FOR_TESTS] === basename(target)) await pauseForTests(temp);
    if (basedOn !== undefined && !stillHolds(target, basedOn)) throw changedMeanwhile();
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) orNull(() => closeSync(fd as number));
    orNull(() => unlinkSync(temp));
    throw new AtomicWriteError(file, error, true);
  } finally {
    releaseTempFile(temp);
  }
  try {
    await fsyncDirectory(dirname(target));
  } catch (error) {
    throw new AtomicWriteError(file, error, false);
  }
}

interface FolderOptions {
  readonly mode: number;
  readonly within: string | undefined;
}

/** wx: never reuse or follow a file that is already there. The folder is made only when it is missing (one call less per write). */
function openTemp(temp: string, mode: number, folders: FolderOptions): number {
  try {
    return openSync(temp, 'wx', mode);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
    makeFolder(dirname(temp), folders);
    return openSync(temp, 'wx', mode);
  }
}

/**
 * Inside `within`, one level at a time and never `within` itself: a recursive mkdir would make it again if it
 * vanished between any look and the call (a worktree being deleted). Its ENOENT then says what happened.
 */
function makeFolder(folder: string, { mode, within }: FolderOptions): void {
  if (within === undefined) {
    mkdirSync(folder, { recursive: true, mode });
    return;
  }
  const root = resolve(within);
  const rel = relative(root, resolve(folder));
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new Error(`${folder} is not inside ${within}`);
  let current = root;
  for (const part of rel === '' ? [] : rel.split(sep)) {
    current = join(current, part);
    try {
      mkdirSync(current, { mode });
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
    }
  }
  if (rel === '') statSync(root); // nothing to make: a folder that is gone says so (ENOENT)
}

/** write(2) may write fewer bytes than asked (a nearly full disk does exactly that): go on until all landed. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const bytesWritten = writeSync(fd, bytes, offset, bytes.byteLength - offset, offset);
    if (bytesWritten <= 0) throw shortWrite(offset, bytes.byteLength);
    offset += bytesWritten;
  }
}

/**
 * The file holds exactly `content` (null: it does not exist). A small file, read whole and synchronously, the way
 * every reader of ours reads a user's file (regular-file.ts): a FIFO put there meanwhile never blocks the read, it
 * is refused (EINVAL) and counts as a change, like a file gone.
 */
function stillHolds(target: string, content: Uint8Array | null): boolean {
  // A new file (every file of a cold pass): one lstat and no ENOENT error built; anything there now is a change.
  if (content === null) return lstatSync(target, { throwIfNoEntry: false }) === undefined;
  let now: Buffer;
  try {
    now = readRegularFileSync(target);
  } catch (error) {
    if (isAbsent(error) || codeOf(error) === 'EINVAL') return false;
    throw error;
  }
  return now.equals(content);
}

function changedMeanwhile(): NodeJS.ErrnoException {
  return Object.assign(new Error('another program changed it while it was being written'), { code: CHANGED_MEANWHILE });
}

function shortWrite(written: number, wanted: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`only ${written} of ${wanted} bytes reached the disk`), { code: 'SHORT_WRITE' });
}

/** Run as root for another user's file, keep it theirs; without the right to chown, it is ours anyway. */
function keepOwner(temp: string, uid: number, gid: number): void {
  try {
    chownSync(temp, uid, gid);
  } catch (error) {
    const code = codeOf(error);
    if (code !== 'EPERM' && code !== 'EINVAL' && code !== 'ENOSYS') throw error;
  }
}

async function fsyncDirectory(folder: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    await fdSync(fd);
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
    const code = codeOf(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One write per path at a time in this process, in call order: overlapping renames could land the older content last. */
const inFlight = new Map<string, Promise<void>>();

async function oneAtATime(target: string, write: () => Promise<void>): Promise<void> {
  const previous = inFlight.get(target) ?? Promise.resolve();
  const mine = previous.then(write, write);
  const settled = mine.catch(() => {});
  inFlight.set(target, settled);
  try {
    await mine;
  } finally {
    if (inFlight.get(target) === settled) inFlight.delete(target);
  }
}

/**
 * For the kill-mid-write tests only (test/e2e/kill-mid-write.test.ts): when this variable names the file being
 * written (its base name), the process stops for good with the complete temp file on disk, just before the
 * rename, and says so on stderr; the test then kills it with SIGKILL. Never set outside tests.
 */
const PAUSE_FOR_TESTS = 'RAVI_ORCHESTRATOR_TEST_PAUSE_BEFORE_RENAME';

async function pauseForTests(temp: string): Promise<never> {
  process.stderr.write(`paused before rename: ${temp}\n`);
  return new Promise<never>(() => setInterval(() => {}, 60_000));
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'its folder is gone',
  [CHANGED_MEANWHILE]: 'another program changed it while it was being written',
};

function reasonOf(cause: unknown, code: string): string {
  const known = REASONS[code];
  if (known !== undefined) return `${known} (${code})`;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code === 'UNKNOWN' ? message : `${message} (${code})`;
}

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}
