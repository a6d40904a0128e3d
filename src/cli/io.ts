/** What a command may touch of the outside world; tests pass their own streams. */
import { fstatSync } from 'node:fs';
import { DescriptorOutput } from './descriptor-output.js';
import { ExitCode } from './exit-codes.js';

/** Where a command's text goes: all a command does with stdout and stderr is write to them. */
export interface Output {
  write(text: string): unknown;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  /** True at a terminal (the daemon copies its log there). */
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Whole standard input (so values never sit in argv). */
  readonly readStdin: () => Promise<string>;
  /**
   * A secret for `secrets set`: typed at a terminal behind `prompt` without echo, else the whole of stdin.
   * Null when the person pressed Ctrl-C.
   */
  readonly readSecret: (prompt: string) => Promise<string | null>;
}

export function processIo(): CliIo {
  const readStdin = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const guard: StdoutGuard = { policy: 'exit' };
  let stdout: Output | undefined;
  let stderr: Output | undefined;
  const io: CliIo = {
    // Made on first use: on a pipe each of process.stdout and process.stderr is a net.Socket, which loads `net`
    // (4-9 ms of start-up, measured side by side on 2026-12-01), and most commands write to only one of them.
    get stdout() {
      return (stdout ??= standardOutput(1, () => process.stdout, guard));
    },
    get stderr() {
      return (stderr ??= standardOutput(2, () => process.stderr, guard));
    },
    cwd: process.cwd(),
    env: process.env,
    readStdin,
    readSecret: async (prompt) => {
      if (!process.stdin.isTTY) return readStdin();
      const { readHidden } = await import('./hidden-input.js');
      return readHidden(process.stdin, process.stderr, prompt);
    },
  };
  lazyGuards.set(io, guard);
  return io;
}

export function writeLine(stream: Output, text = ''): void {
  stream.write(`${text}\n`);
}

export function writeJson(stream: Output, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A reader that closes stdout (`status | head -1`) has seen enough: that ends the command quietly with exit
 * 0, as git and coreutils do, instead of an EPIPE stack trace. A command that changes things (`finish`)
 * completes its work instead, its later output dropped, and keeps its own exit code. Called again once the
 * command is known; the last policy applies.
 */
export function onClosedStdout(io: CliIo, policy: StdoutGuard['policy']): void {
  const lazy = lazyGuards.get(io);
  if (lazy !== undefined) {
    lazy.policy = policy; // its streams take the guard when they are made
    return;
  }
  for (const stream of [io.stdout, io.stderr]) {
    const guard = guards.get(stream);
    if (guard !== undefined) guard.policy = policy;
    else guarded(stream, { policy });
  }
}

interface StdoutGuard {
  policy: 'exit' | 'finish';
}

const guards = new WeakMap<Output, StdoutGuard>();
/** The guard of a processIo's streams, shared by both and set before or after they are made. */
const lazyGuards = new WeakMap<CliIo, StdoutGuard>();

function guarded(stream: Output, guard: StdoutGuard): Output {
  if (guards.has(stream)) return stream;
  guards.set(stream, guard);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (guard.policy === 'exit') process.exit(ExitCode.OK);
  });
  return stream;
}

/** A terminal gets process.stdout (or stderr) as it is; a pipe, a file or a socket its descriptor (descriptor-output.ts). */
function standardOutput(fd: 1 | 2, stream: () => NodeJS.WriteStream, guard: StdoutGuard): Output {
  let kind: 'tty' | 'other';
  try {
    kind = fstatSync(fd).isCharacterDevice() && stream().isTTY ? 'tty' : 'other';
  } catch {
    kind = 'tty'; // no such descriptor to write to: the stream decides what that means, as before
  }
  return guarded(kind === 'tty' ? stream() : new DescriptorOutput(fd, stream), guard);
}
