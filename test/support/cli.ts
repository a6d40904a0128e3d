/** Runs the built CLI (dist/) as a real process, isolated from the machine's home and state dir. */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { gitEnv } from './git-fixtures.js';

/** The CLI program as users run it (scripts/build-cli.mjs bundles tsc's dist/ into dist-cli/). */
export const CLI_PATH = fileURLToPath(new URL('../../dist-cli/cli/main.js', import.meta.url));

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd: string;
  /** Used as HOME and to hold the state dir unless `env` says otherwise. */
  readonly home: string;
  readonly env?: Record<string, string>;
  readonly input?: string;
}

export async function runBuiltCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` (npm test does it first)`);
  const result = await execa(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    reject: false,
    input: options.input ?? '',
    extendEnv: false,
    env: isolatedEnv(options.home, options.env),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The environment every test child CLI gets: this PATH, a temp HOME with the state dir in it, git isolated. */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: `${home}/state`, ...gitEnv, ...extra };
}
