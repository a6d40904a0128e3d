/** Starts the built CLI's `daemon` as a real child process, and waits on conditions (never on durations). */
import { execa, type ResultPromise } from 'execa';
import { readFile } from 'node:fs/promises';
import { CLI_PATH, isolatedEnv } from './cli.js';

export interface DaemonProcess {
  readonly child: ResultPromise;
  readonly pid: number;
  output(): string;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number>;
  kill9(): Promise<void>;
}

const running = new Set<DaemonProcess>();

/**
 * `nodeArgs`: flags for node itself, before the CLI (V8's tracing flags, say). `cli`: what node runs, by default the
 * program's entry, dist-cli/cli/main.js; the bin, as a person and the service start it.
 */
export function startDaemonProcess(options: { cwd: string; home: string; args?: string[]; env?: Record<string, string>; nodeArgs?: string[]; cli?: string }): DaemonProcess {
  let output = '';
  const child = execa(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI_PATH, 'daemon', ...(options.args ?? [])], {
    cwd: options.cwd,
    reject: false,
    extendEnv: false,
    env: isolatedEnv(options.home, { RAVI_ORCHESTRATOR_DEBOUNCE_MS: '100', ...options.env }),
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const daemon: DaemonProcess = {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const result = await child;
      running.delete(daemon);
      return result.exitCode ?? -1;
    },
    async kill9() {
      child.kill('SIGKILL');
      await child;
      running.delete(daemon);
    },
  };
  running.add(daemon);
  return daemon;
}

/** For afterAll: no daemon outlives its test file. */
export async function killAllDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.kill9()));
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function readJsonFile<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
