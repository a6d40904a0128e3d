/**
 * The audit writer rotates by size (src/audit/audit-log.ts): an append to a full audit.jsonl moves it to
 * audit.jsonl.1 (older ones up, the oldest beyond five dropped) and starts a new file; the folder is made on
 * first use. Real files in a temp state dir.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { appendAudit, auditFile, readAudit } from '../../src/audit/audit-log.js';

afterAll(cleanupTempDirs);

const event = (identity: string) => ({ type: 'error' as const, repo: null, worktree: null, branch: null, identity, detail: {} });

describe('audit rotation', () => {
  it('makes the folder on first use, then moves a full file aside before appending', async () => {
    const stateDir = join(await createTempDir('ravi-audit-rot-'), 'state');
    await appendAudit(stateDir, event('first')); // no state dir yet
    expect((await readAudit(stateDir)).map((r) => r.identity)).toEqual(['first']);

    const file = auditFile(stateDir);
    const line = `${JSON.stringify({ time: new Date(0).toISOString(), ...event('old') })}\n`;
    await writeFile(file, line.repeat(Math.ceil((10 * 1024 * 1024) / line.length))); // at the 10 MB limit
    for (const n of [2, 3, 4, 5]) await writeFile(`${file}.${n}`, `${JSON.stringify({ time: new Date(0).toISOString(), ...event(`rotated-${n}`) })}\n`);
    await appendAudit(stateDir, event('new'));

    expect(await readFile(file, 'utf8')).toMatch(/^\{"time":"[^"]+","type":"error",.*"identity":"new".*\}\n$/);
    expect((await readFile(`${file}.1`, 'utf8')).startsWith(line)).toBe(true);
    expect((await readFile(`${file}.3`, 'utf8'))).toContain('rotated-2');
    expect((await readFile(`${file}.5`, 'utf8'))).toContain('rotated-4'); // rotated-5 was the oldest: dropped
    expect((await readdir(join(stateDir, 'audit'))).sort()).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.3', 'audit.jsonl.4', 'audit.jsonl.5']); // there was no .1 to become .2
  });

  it('a folder that cannot be made is the caller\'s error to log (appendAudit rejects)', async () => {
    const root = await createTempDir('ravi-audit-rot-');
    await writeFile(join(root, 'state'), 'a file where the state dir should be');
    await expect(appendAudit(join(root, 'state'), event('x'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
