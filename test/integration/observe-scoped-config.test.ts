/**
 * readScopedConfig (src/reconcile/observe-files.ts) reads `.ravi/config.json` without an fstat: what is not a plain
 * file must still read as present and malformed (never block on a FIFO), and no key material is kept.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readScopedConfig } from '../../src/reconcile/observe-files.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const REL = '.ravi/config.json';

async function worktreeWith(make: (path: string) => Promise<void> | void): Promise<string> {
  const root = await createTempDir();
  await mkdir(join(root, '.ravi'));
  await make(join(root, REL));
  return root;
}

describe('readScopedConfig', () => {
  it('a plain file: what it holds, never the keys themselves', async () => {
    const root = await worktreeWith((path) => writeFile(path, JSON.stringify({ identity_uuid: 'u-1', identity_key: 'ravi_id_secret', management_key: '' })));
    const seen = await readScopedConfig(root, REL);
    expect(seen).toEqual({ path: join(root, REL), exists: true, identityUuid: 'u-1', hasIdentityKey: true, hasManagementKey: false, malformed: false });
    expect(JSON.stringify(seen)).not.toContain('ravi_id_secret');
  });

  it('absent, or .ravi not a folder: absent', async () => {
    const root = await createTempDir();
    expect((await readScopedConfig(root, REL)).exists).toBe(false);
    await writeFile(join(root, '.ravi'), 'a file where the folder goes');
    expect((await readScopedConfig(root, REL)).exists).toBe(false);
  });

  it('a FIFO, a folder or bad JSON: present and malformed, without waiting', async () => {
    for (const make of [(p: string) => void execFileSync('mkfifo', [p]), (p: string) => mkdir(p), (p: string) => writeFile(p, '{"identity_uuid": ')]) {
      const seen = await readScopedConfig(await worktreeWith(make), REL);
      expect({ exists: seen.exists, malformed: seen.malformed }).toEqual({ exists: true, malformed: true });
    }
  });
});
