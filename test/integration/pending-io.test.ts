/**
 * afterPendingIo (util/pending-io.ts) takes in what arrived while synchronous work held the event loop, from the
 * worst place to resume: an I/O callback's chain, in the loop's poll phase, where one setImmediate turn comes
 * before the next poll.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { afterPendingIo } from '../../src/util/pending-io.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

describe('afterPendingIo', () => {
  it('runs the callbacks of data that landed while the loop was held, before it resolves', async () => {
    const dir = await createTempDir('ravi-pending-io-');
    const written = join(dir, 'written');
    // The child writes to its stdout pipe, then makes a file: once the file exists, the data is in the pipe.
    const child = spawn(process.execPath, ['-e', `process.stdout.write('ready', () => require('node:fs').writeFileSync(${JSON.stringify(written)}, ''))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    child.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const exited = new Promise((resolve) => child.once('close', resolve));

    await readFile(join(dir, 'absent')).catch(() => undefined); // resume in an I/O callback's chain (the thread pool's answer)
    const until = Date.now() + 30_000;
    while (!existsSync(written) && Date.now() < until); // the loop is held, as a pass's sync reads hold it
    expect(existsSync(written)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    const afterOneTurn = received;
    await afterPendingIo();
    expect(afterOneTurn).toBe(''); // the hard case: one turn's check phase came before the next poll
    expect(received).toBe('ready');
    await exited;
  });
});
