import { afterAll, describe, expect, it } from 'vitest';
import { appendFile, readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { Ledger, LedgerError, ledgerFileFor, worktreeKey, type LedgerIdentity } from '../../src/files/ledger.js';

afterAll(cleanupTempDirs);

function record(name: string, overrides: Partial<LedgerIdentity> = {}): LedgerIdentity {
  return {
    name, state: 'ready', uuid: `uuid-${name}`, email: `${name}@x`, phone: null, createdAt: '2026-11-01T00:00:00.000Z',
    lease: null, idleSince: '2026-11-02T00:00:00.000Z', lastHolder: null, leases: 1, ...overrides,
  };
}

async function stateDir(): Promise<string> {
  return join(await createTempDir('ravi-ledger-'), 'state');
}

describe('the ledger: snapshot and journal', () => {
  it('makes each change durable with one append, and reads it back in a new process view', async () => {
    const dir = await stateDir();
    const ledger = await Ledger.open(dir, 'local');
    ledger.put(record('a'));
    ledger.put(record('b'));
    await ledger.flush();
    const journal = `${ledgerFileFor(dir, 'local')}.journal-0`;
    expect((await readFile(journal, 'utf8')).trim().split('\n')).toHaveLength(2);
    ledger.remove('a');
    await ledger.flush();
    const again = await Ledger.open(dir, 'local');
    expect(again.identities().map((i) => i.name)).toEqual(['b']);
    expect((await stat(journal)).mode & 0o777).toBe(0o600);
  });

  it('lands every one of many concurrent changes; each caller sees its own on disk', async () => {
    const dir = await stateDir();
    const ledger = await Ledger.open(dir, 'local');
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      ledger.put(record(`n${i}`));
      await ledger.flush();
    }));
    expect((await Ledger.open(dir, 'local')).identities()).toHaveLength(50);
  });

  it('ignores a torn last line (a crash mid-append that nobody was told had landed), and appends after it cleanly', async () => {
    const dir = await stateDir();
    const ledger = await Ledger.open(dir, 'local');
    ledger.put(record('kept'));
    await ledger.flush();
    const journal = `${ledgerFileFor(dir, 'local')}.journal-0`;
    await appendFile(journal, '{"op":"put","identity":{"name":"torn"');
    const reopened = await Ledger.open(dir, 'local');
    expect(reopened.identities().map((i) => i.name)).toEqual(['kept']);
    reopened.put(record('next'));
    await reopened.flush();
    expect((await Ledger.open(dir, 'local')).identities().map((i) => i.name).sort()).toEqual(['kept', 'next']);
    expect(await readFile(journal, 'utf8')).not.toContain('torn');
  });

  it('refuses a journal with a corrupt line in the middle, naming the file and the backup to restore', async () => {
    const dir = await stateDir();
    const ledger = await Ledger.open(dir, 'local');
    ledger.put(record('a'));
    await ledger.flush();
    const journal = `${ledgerFileFor(dir, 'local')}.journal-0`;
    await appendFile(journal, 'garbage\n{"op":"remove","name":"a"}\n');
    const error = await Ledger.open(dir, 'local').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as Error).message).toMatch(/journal.*is corrupt: line 2.*\.bak/s);
  });

  it('compacts into a new snapshot on the first write and when the journal grows, keeping the previous one as .bak', async () => {
    const dir = await stateDir();
    const file = ledgerFileFor(dir, 'local');
    const ledger = await Ledger.open(dir, 'local');
    ledger.put(record('first'));
    await ledger.compactIfLarge();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 2, generation: 1, identities: { first: { name: 'first' } } });
    // Small journal: no rewrite of the snapshot.
    ledger.put(record('second'));
    const before = (await stat(file)).mtimeMs;
    await ledger.compactIfLarge();
    expect((await stat(file)).mtimeMs).toBe(before);
    for (let i = 0; i < 600; i++) ledger.put(record(`bulk-${i}`, { email: `${'x'.repeat(400)}${i}` }));
    await ledger.compactIfLarge();
    expect(JSON.parse(await readFile(file, 'utf8')).generation).toBe(2);
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8')).generation).toBe(1);
    expect((await readdir(dirname(file))).filter((f) => f.includes('.journal-'))).toEqual([]);
    expect((await Ledger.open(dir, 'local')).identities()).toHaveLength(602);
  });

  it('migrates a version-1 ledger: active entries become leases since their creation, released ones released worktrees', async () => {
    const dir = await stateDir();
    const file = ledgerFileFor(dir, 'local');
    await mkdir(dirname(file), { recursive: true });
    const common = '/repos/app/.git';
    const entry = (adminId: string, state: string, uuid: string | null) => ({
      key: worktreeKey(common, adminId), commonDir: common, adminId, name: `ws-app-${adminId}`, state, uuid, email: uuid && `${adminId}@x`, phone: null,
      worktreePath: `/wt/${adminId}`, branch: `refs/heads/${adminId}`, createdAt: '2026-10-01T00:00:00.000Z', orphanedSince: null,
    });
    await writeFile(file, JSON.stringify({ version: 1, scope: 'local', entries: Object.fromEntries([entry('a', 'active', 'u-a'), entry('b', 'pending', null), entry('c', 'released', null)].map((e) => [e.key, e])) }));
    const ledger = await Ledger.open(dir, 'local');
    expect(ledger.leaseOf(worktreeKey(common, 'a'))).toMatchObject({ name: 'ws-app-a', state: 'ready', uuid: 'u-a', lease: { since: '2026-10-01T00:00:00.000Z', worktreePath: '/wt/a' } });
    expect(ledger.leaseOf(worktreeKey(common, 'b'))).toMatchObject({ state: 'creating', uuid: null });
    expect(ledger.released(worktreeKey(common, 'c'))).toMatchObject({ worktreePath: '/wt/c' });
    // Readers see the same lease id every time until a writer compacts (it names the lease's own records).
    expect((await Ledger.open(dir, 'local')).leaseOf(worktreeKey(common, 'a'))?.lease?.id).toBe(ledger.leaseOf(worktreeKey(common, 'a'))?.lease?.id);
    await ledger.compactIfLarge();
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(2);
    expect((await Ledger.open(dir, 'local')).identities().map((i) => i.name).sort()).toEqual(['ws-app-a', 'ws-app-b']);
  });

  it('refuses a ledger of another provider account', async () => {
    const dir = await stateDir();
    const ledger = await Ledger.open(dir, 'ravi:https://a.example');
    ledger.put(record('a'));
    await ledger.compactIfLarge();
    await writeFile(ledgerFileFor(dir, 'ravi:https://b.example'), await readFile(ledgerFileFor(dir, 'ravi:https://a.example')));
    await expect(Ledger.open(dir, 'ravi:https://b.example')).rejects.toThrow(/belongs to provider ravi:https:\/\/a.example/);
  });
});
