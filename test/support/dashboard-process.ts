/** Starts the built CLI's `dashboard --json` as a real child process and reads the link it prints. */
import { execa, type ResultPromise } from 'execa';
import { CLI_PATH, isolatedEnv } from './cli.js';
import { waitFor } from './daemon-process.js';

export interface DashboardProcess {
  readonly child: ResultPromise;
  /** The printed link, token included. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

const running = new Set<DashboardProcess>();

export async function startDashboardProcess(options: { cwd: string; home: string; args?: string[]; env?: Record<string, string> }): Promise<DashboardProcess> {
  let stdout = '';
  let output = '';
  const child = execa(process.execPath, [CLI_PATH, 'dashboard', '--json', ...(options.args ?? [])], {
    cwd: options.cwd,
    reject: false,
    extendEnv: false,
    env: isolatedEnv(options.home, options.env),
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  void child.then(() => (exited = true));
  const line = await waitFor(() => {
    if (exited) throw new Error(`dashboard exited before printing its link: ${output}`);
    // --json prints one (pretty-printed) object: complete once its closing brace ends a line.
    const end = stdout.indexOf('\n}\n');
    return end === -1 ? null : stdout.slice(0, end + 2);
  }, 'the dashboard link');
  const { url } = JSON.parse(line) as { url: string };
  const parsed = new URL(url);
  const dashboard: DashboardProcess = {
    child,
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const result = await child;
      running.delete(dashboard);
      return result.exitCode ?? -1;
    },
  };
  running.add(dashboard);
  return dashboard;
}

/** For afterAll: no dashboard outlives its test file. */
export async function stopAllDashboards(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop()));
}
