/** Help and the README come from the declarations: every command has --help, and the README's reference is current. */
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { renderReference, REFERENCE_END, REFERENCE_START } from '../../src/cli/docs/reference.js';
import { flagLabel } from '../../src/cli/help.js';
import { loadAllCommands } from '../../src/cli/registry.js';
import { runCli } from '../../src/cli/run.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { stdout, stderr, cwd: process.cwd(), env: {}, readStdin: async () => '', readSecret: async () => null });
  return { code, stdout: out, stderr: err };
}

async function leaves(): Promise<Array<[string[], Command]>> {
  return (await loadAllCommands()).flatMap(([name, command]): Array<[string[], Command]> =>
    command.kind === 'command' ? [[[name], command]] : Object.entries(command.subcommands).map(([verb, sub]) => [[name, verb], sub]),
  );
}

describe('help from the declarations', () => {
  it('every command and verb has --help listing its own flags and arguments, and `help X` says the same', async () => {
    for (const [path, command] of await leaves()) {
      const help = await cli([...path, '--help']);
      expect(help.code, path.join(' ')).toBe(0);
      expect(help.stdout).toContain(`Usage: ravi-orchestrator ${path.join(' ')}`);
      for (const [name, flag] of Object.entries(command.flags)) expect(help.stdout, `${path.join(' ')} --${name}`).toContain(flagLabel(name, flag).trim());
      for (const positional of command.positionals ?? []) expect(help.stdout).toContain(positional.name);
      expect((await cli(['help', ...path])).stdout).toBe(help.stdout);
    }
  });

  it('the command list names every command and verb', async () => {
    const top = await cli(['help']);
    for (const [path] of await leaves()) expect(top.stdout).toMatch(new RegExp(`^  ${path.join(' ')}\\b`, 'm'));
    expect((await cli([])).stdout).toBe(top.stdout);
  });

  it('a usage error points at the command\'s own --help, exit 64', async () => {
    const run = await cli(['otp', '--wiat', '1s']);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('ravi-orchestrator: unknown flag --wiat for otp; did you mean --wait?\nRun `ravi-orchestrator otp --help` for usage.\n');
  });

  it('the README\'s command reference is the one the declarations render', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start, 'README.md has the reference markers').toBeGreaterThanOrEqual(0);
    const current = readme.slice(start, end + REFERENCE_END.length);
    expect(current, 'out of date: npm run build && node scripts/cli-reference.mjs').toBe(renderReference(await loadAllCommands()));
  });
});
