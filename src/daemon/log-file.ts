/**
 * The daemon's log file: `<logDir>/daemon.log`, rotated by size (daemon.log.1 … daemon.log.N, oldest dropped),
 * folder 0700 and files 0600 because log lines name worktrees and identities. Also reads it back for `service logs`.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { createStream } from 'rotating-file-stream';

export const LOG_FILE_NAME = 'daemon.log';

export interface LogFileOptions {
  /** Rotate once the file reaches this size. @default 10 MiB */
  readonly maxBytes?: number;
  /** Rotated files kept besides the live one. @default 5 */
  readonly keep?: number;
  /** Called when writing fails (disk full, folder removed); logging must not crash the daemon. @default a line on stderr */
  readonly onError?: (error: Error) => void;
}

export interface LogFileStream {
  /** A pino destination: `pino(options, log.stream)`. */
  readonly stream: Writable;
  /** `<logDir>/daemon.log`. */
  readonly path: string;
  /** Ends the stream once every accepted line is written to the file. Idempotent. */
  close(): Promise<void>;
}

/** Opens (creating if needed) `<logDir>/daemon.log`. Synchronous set-up, so it runs before the first log line. */
export function createLogFileStream(logDir: string, options: LogFileOptions = {}): LogFileStream {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const keep = options.keep ?? 5;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`Expected maxBytes to be a positive integer, got ${maxBytes}`);
  if (!Number.isInteger(keep) || keep < 1) throw new TypeError(`Expected keep to be a positive integer, got ${keep}`);
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  chmodSync(logDir, 0o700); // mkdir leaves an existing folder's mode alone
  const file = path.join(logDir, LOG_FILE_NAME);
  tightenMode(file);
  // `rotate: keep` is classic numbered rotation; `mode` applies to each new file, renames keep it.
  const stream = createStream(LOG_FILE_NAME, { path: logDir, size: `${maxBytes}B`, rotate: keep, mode: 0o600 });
  const onError = options.onError ?? ((error: Error) => process.stderr.write(`ravi-orchestrator: cannot write ${file}: ${error.message}\n`));
  stream.on('error', onError);
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      if (stream.destroyed || stream.writableFinished) return resolve();
      stream.once('close', resolve); // after the final write and the file handle's close
      stream.end();
    });
    return closing;
  };
  return { stream, path: file, close };
}

/** Default log folder for a state dir. */
export function defaultLogDir(stateDir: string): string {
  return path.join(stateDir, 'logs');
}

/** The last `lines` lines of a log file. Reads at most the last 1 MiB: pino lines are short. */
export async function readLogTail(file: string, lines: number): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 1024 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    if (length < size) all.shift(); // probably cut mid-line
    return all.slice(-lines);
  } finally {
    await handle.close();
  }
}

/**
 * Calls `onText` with what is appended to `file` from its current end until `signal` aborts (`service logs -f`).
 * Polls every `intervalMs`; a rotation (new inode or a shorter file) restarts from the new file's start.
 */
export async function followLogFile(file: string, onText: (text: string) => void, signal: AbortSignal, intervalMs = 500): Promise<void> {
  const decoder = new StringDecoder('utf8'); // a read may end mid-character
  let current = await stat(file).catch(() => null);
  let offset = current?.size ?? 0;
  while (await sleep(intervalMs, signal)) {
    const next = await stat(file).catch(() => null);
    if (next === null) continue; // between rename and reopen
    // Lines written to the old file after our last poll and before the rotation are not shown.
    if (current === null || next.ino !== current.ino || next.size < offset) offset = 0;
    current = next;
    if (next.size <= offset) continue;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(next.size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      onText(decoder.write(buffer.subarray(0, bytesRead)));
    } finally {
      await handle.close();
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
