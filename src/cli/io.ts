/** What a command may touch of the outside world; tests pass their own streams. */
import { ExitCode } from './exit-codes.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
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
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    readStdin,
    readSecret: async (prompt) => {
      if (!process.stdin.isTTY) return readStdin();
      const { readHidden } = await import('./hidden-input.js');
      return readHidden(process.stdin, process.stderr, prompt);
    },
  };
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A reader that closes stdout (`status | head -1`) has seen enough: that ends the command quietly with exit
 * 0, as git and coreutils do, instead of an EPIPE stack trace. A command that changes things (`finish`)
 * completes its work instead, its later output dropped, and keeps its own exit code. Called again once the
 * command is known; the last policy applies.
 */
export function onClosedStdout(io: CliIo, policy: 'exit' | 'finish'): void {
  for (const stream of [io.stdout, io.stderr]) {
    const guarded = guards.get(stream);
    if (guarded !== undefined) {
      guarded.policy = policy;
      continue;
    }
    const guard = { policy };
    guards.set(stream, guard);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
      if (guard.policy === 'exit') process.exit(ExitCode.OK);
    });
  }
}

const guards = new WeakMap<NodeJS.WritableStream, { policy: 'exit' | 'finish' }>();
