/**
 * `completion bash|zsh|fish`, each script loaded into the real shell: bash through its `complete -F` function
 * with COMP_WORDS, fish through `complete -C`, zsh through a real interactive zsh on a pty (zsh/zpty) pressing
 * TAB. A shell that is not installed is skipped; bash always runs.
 */
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const has = async (shell: string): Promise<boolean> => (await execa('sh', ['-c', `command -v ${shell}`], { reject: false })).exitCode === 0;
const [hasZsh, hasFish] = await Promise.all([has('zsh'), has('fish')]);

let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await createTempDir('ravi-completion-');
  await writeFile(join(dir, 'ravi-orchestrator.config.json'), '{}');
  await writeFile(join(dir, 'notes.txt'), '');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const run = await runBuiltCli(['completion', shell], { cwd: dir, home: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    scripts[shell] = join(dir, `completion.${shell}`);
    await writeFile(scripts[shell] as string, run.stdout);
  }
  // zsh loads completion functions from $fpath by file name.
  await writeFile(join(dir, '_ravi-orchestrator'), (await runBuiltCli(['completion', 'zsh'], { cwd: dir, home: dir })).stdout);
});

/** What bash offers for `line` (a trailing space starts a new, empty word). */
async function bash(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = [
    'source "$1"',
    'complete -p ravi-orchestrator >/dev/null || exit 9', // the script registered its function
    'COMP_WORDS=("${@:2}"); COMP_CWORD=$(($# - 2))',
    '_ravi_orchestrator',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const run = await execa('bash', ['--norc', '--noprofile', '-c', program, 'bash', scripts['bash'] as string, ...words], { cwd: dir });
  return run.stdout.split('\n').filter((w) => w !== '');
}

/** What fish offers for `line`: the candidates of `complete -C`, descriptions dropped. */
async function fish(line: string): Promise<string[]> {
  const run = await execa('fish', ['--no-config', '-c', `source ${JSON.stringify(scripts['fish'])}; complete -C ${JSON.stringify(line)}`], { cwd: dir });
  return run.stdout.split('\n').filter((w) => w !== '').map((w) => w.split('\t')[0] as string);
}

describe('bash completion', () => {
  it('offers commands, verbs, a command\'s own flags and their values', async () => {
    expect(await bash('ravi-orchestrator ')).toEqual(expect.arrayContaining(['plan', 'otp', 'service', 'secrets', 'completion']));
    expect(await bash('ravi-orchestrator o')).toEqual(['otp']);
    expect(await bash('ravi-orchestrator otp --wa')).toEqual(['--wait']);
    expect(await bash('ravi-orchestrator service ')).toEqual(['install', 'uninstall', 'status', 'logs', 'restart']);
    expect(await bash('ravi-orchestrator service logs --f')).toEqual(['--follow']);
    expect(await bash('ravi-orchestrator inbox ')).toEqual(['email', 'sms']);
    expect(await bash('ravi-orchestrator completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(await bash('ravi-orchestrator plan --log-level d')).toEqual(['debug']);
    expect(await bash('ravi-orchestrator secrets set --al')).toEqual(['--allow-empty']);
  });

  it('does not offer another command\'s flags', async () => {
    expect(await bash('ravi-orchestrator status --rev')).toEqual([]);
    expect(await bash('ravi-orchestrator secrets get --al')).toEqual([]);
  });

  it('completes files for --config (also as --config=), and programs after exec --', async () => {
    expect(await bash('ravi-orchestrator plan --config not')).toEqual(['notes.txt']);
    expect(await bash('ravi-orchestrator plan --config = not')).toEqual(['notes.txt']); // COMP_WORDBREAKS split --config=not
    expect(await bash('ravi-orchestrator exec -- bas')).toContain('bash');
    // A flag value that looks like a command is not taken for one.
    expect(await bash('ravi-orchestrator --log-level debug pl')).toEqual(['plan']);
  });
});

describe.skipIf(!hasFish)('fish completion', () => {
  it('offers commands, verbs, a command\'s own flags and their values', async () => {
    expect(await fish('ravi-orchestrator o')).toEqual(['otp']);
    expect(await fish('ravi-orchestrator otp --wa')).toEqual(['--wait']);
    expect(await fish('ravi-orchestrator service ')).toEqual(expect.arrayContaining(['install', 'uninstall', 'status', 'logs', 'restart']));
    expect(await fish('ravi-orchestrator service logs --fo')).toEqual(['--follow']);
    expect(await fish('ravi-orchestrator inbox ')).toEqual(['email', 'sms']);
    expect(await fish('ravi-orchestrator plan --log-level d')).toEqual(['debug']);
    expect(await fish('ravi-orchestrator status --rev')).toEqual([]);
    expect(await fish('ravi-orchestrator --log-level debug pl')).toEqual(['plan']);
  });
});

describe.skipIf(!hasZsh)('zsh completion', () => {
  /**
   * Types each line and TAB into one interactive zsh on a pty and waits until the screen shows what that line
   * should complete to (the read waits on the text, not on time; a completion that never comes fails by timeout).
   */
  async function zshTabs(cases: ReadonlyArray<readonly [line: string, expected: string]>): Promise<void> {
    const driver = [
      'zmodload zsh/zpty',
      // The child zsh gets the folders as text, quoted by the driver (${(q)...}).
      'zpty z "TERM=dumb PATH=${(q)2}:${(q)PATH} zsh -f -i"',
      // Ctrl-T prints the edit buffer between markers: what TAB made of the line, whatever zle drew on the way.
      `zpty -w z "PS1='READY> '; fpath=(\${(q)1} \\$fpath); autoload -U compinit; compinit -u -D; setopt nobeep; ` +
        `show-buffer() { print -rn -- \\"<BUF:\\$BUFFER:END>\\" }; zle -N show-buffer; bindkey '^T' show-buffer; print -r -- LOADED"`,
      `zpty -r z out '*LOADED*READY> ' || exit 7`,
      'for line expected in "${(@)argv[3,-1]}"; do',
      `  zpty -w -n z "$line"$'\t\x14'`,
      '  zpty -r z out "*<BUF:*:END>*" || exit 8',
      '  [[ $out == *"<BUF:$expected:END>"* ]] || { print -r -- "TAB on ${(qq)line} gave ${(V)out}"; exit 9 }',
      `  zpty -w -n z $'\x15'`, // Ctrl-U: clear the line for the next case
      'done',
      'zpty -d z',
    ].join('\n');
    const stub = join(dir, 'bin');
    await execa('sh', ['-c', `mkdir -p "${stub}" && printf '#!/bin/sh\\n' > "${stub}/ravi-orchestrator" && chmod +x "${stub}/ravi-orchestrator"`]);
    const run = await execa('zsh', ['-f', '-c', driver, 'zsh', dir, stub, ...cases.flat()], { cwd: dir, timeout: 60_000, reject: false });
    expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(0);
  }

  it('the script passes zsh -n', async () => {
    expect((await execa('zsh', ['-n', scripts['zsh'] as string], { reject: false })).exitCode).toBe(0);
  });

  it('TAB completes a command, a verb and a command\'s own flag in a real zsh', async () => {
    await zshTabs([
      ['ravi-orchestrator serv', 'ravi-orchestrator service '],
      ['ravi-orchestrator service lo', 'ravi-orchestrator service logs '],
      ['ravi-orchestrator otp --si', 'ravi-orchestrator otp --since-setup '],
      ['ravi-orchestrator inbox s', 'ravi-orchestrator inbox sms '],
      ['ravi-orchestrator status --rev', 'ravi-orchestrator status --rev'], // env's flag: nothing to add
    ]);
  });

  it('the shared walk gives zsh the same candidates as bash', async () => {
    const program = `source "$1"; __ravi_orchestrator_complete "$2" "\${(@)argv[3,-1]}"; print -r -- "$__ro_kind|$__ro_path|$__ro_flags|$__ro_words"`;
    const walk = async (...words: string[]) => (await execa('zsh', ['-f', '-c', program, 'zsh', scripts['zsh'] as string, ...words])).stdout.split('|');
    const [kind, path, flags] = await walk('--', 'status');
    expect([kind, path]).toEqual(['flags', 'status']);
    expect(flags?.split(' ')).not.toContain('--reveal');
    expect(await walk('', 'service')).toEqual(['words', 'service', expect.any(String), 'install uninstall status logs restart']);
  });
});
