/**
 * A command that serves until stopped (`dashboard`, `mail serve`) and took the state lock meanwhile must still close
 * cleanly on SIGTERM: proper-lockfile's signal-exit re-raises the signal when its listeners are the only ones left,
 * so the command's own listener must stay registered (cli/stop-signal.ts). The lock is taken after the wait began,
 * as a dashboard's "Reconcile now" does. A real process, the built modules, a real lock in a temp state dir.
 */
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const dist = (path: string) => pathToFileURL(join(import.meta.dirname, '../../dist', path)).href;

describe('untilStopSignal', () => {
  it('a process that took the state lock after it began waiting closes on SIGTERM and exits 0', async () => {
    const dir = await createTempDir('ravi-stop-signal-');
    const script = join(dir, 'serve.mjs');
    await writeFile(script, [
      `import { untilStopSignal } from ${JSON.stringify(dist('cli/stop-signal.js'))};`,
      'const stopped = untilStopSignal();',
      'const serving = setInterval(() => {}, 1000); // what a server\'s socket does: keeps the process up',
      `const { acquireStateLock } = await import(${JSON.stringify(dist('files/state-lock.js'))});`,
      `const lock = await acquireStateLock(${JSON.stringify(join(dir, 'state'))});`,
      "process.stdout.write('ready\\n');",
      'const signal = await stopped;',
      'clearInterval(serving);',
      'await lock.release();',
      "process.stdout.write(`closed on ${signal}\\n`);",
    ].join('\n'));
    const child = execa(process.execPath, [script], { reject: false });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', () => reject(new Error('the process ended before it was ready')));
    });
    child.kill('SIGTERM');
    const result = await child;
    expect(result.signal ?? null).toBeNull();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('closed on SIGTERM');
  });
});
