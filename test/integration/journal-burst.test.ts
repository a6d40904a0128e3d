/**
 * Group commit in the journaled stores (the ledger, the local provider's identities): changes made while an append
 * is under way share the next one, the journal stays open only while appends follow one another, and every
 * caller's change is on disk when its call resolves, as another process would read it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFile, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { readLocalIdentities } from '../support/local-identities.js';
import { Ledger, ledgerFileFor, type LedgerIdentity } from '../../src/files/ledger.js';
import { createLocalProvider, localPaths } from '../../src/providers/local/local-provider.js';

afterAll(cleanupTempDirs);

function record(name: string): LedgerIdentity {
  return {
    name, state: 'ready', uuid: `uuid-${name}`, email: `${name}@x`, phone: null, createdAt: '2026-11-01T00:00:00.000Z',
    lease: null, idleSince: '2026-11-02T00:00:00.000Z', lastHolder: null, leases: 1,
  };
}

/** Files this process holds open under `folder` (Linux: /proc/self/fd). */
async function openFilesUnder(folder: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(folder));
}

describe('a burst of flushes', () => {
  it('lands every change once, in the order recorded, and closes the journal when the burst ends', async () => {
    const dir = join(await createTempDir('ravi-burst-'), 'state');
    const ledger = await Ledger.open(dir, 'local');
    const flushed: Promise<void>[] = [];
    for (let i = 0; i < 40; i += 1) {
      ledger.put(record(`n${i}`));
      flushed.push(ledger.flush());
      if (i % 7 === 0) await flushed.at(-1); // some callers wait, the others pile up behind the append under way
    }
    await Promise.all(flushed);
    expect(await openFilesUnder(dir)).toEqual([]);
    const lines = (await readFile(`${ledgerFileFor(dir, 'local')}.journal-0`, 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { identity: { name: string } }).identity.name)).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`));
    expect((await Ledger.open(dir, 'local')).identities()).toHaveLength(40);

    // A second burst after the first ended opens the journal again and appends after the first's lines.
    ledger.put(record('later'));
    await ledger.flush();
    expect(await openFilesUnder(dir)).toEqual([]);
    expect((await Ledger.open(dir, 'local')).identity('later')).toBeDefined();
  });

  it('cuts a torn tail another writer left before the first append of a burst', async () => {
    const dir = join(await createTempDir('ravi-burst-'), 'state');
    const first = await Ledger.open(dir, 'local');
    first.put(record('kept'));
    await first.flush();
    const journal = `${ledgerFileFor(dir, 'local')}.journal-0`;
    await appendFile(journal, '{"op":"put","identity":{"name":"torn"'); // a writer killed mid-append
    const second = await Ledger.open(dir, 'local');
    await Promise.all(['a', 'b', 'c'].map(async (name) => {
      second.put(record(name));
      await second.flush();
    }));
    expect(await readFile(journal, 'utf8')).not.toContain('torn');
    expect((await Ledger.open(dir, 'local')).identities().map((i) => i.name).sort()).toEqual(['a', 'b', 'c', 'kept']);
  });
});

describe('the local provider under concurrent creates', () => {
  it('resolves each create once it is on disk, with unique addresses and numbers, and holds no file open after', async () => {
    const stateDir = join(await createTempDir('ravi-local-burst-'), 'state');
    const provider = createLocalProvider({ stateDir });
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => provider.createIdentity({ name: `ws-${i}`, provisionPhone: true })));
    // What another process reads now: every identity a call returned, no other.
    const onDisk = await readLocalIdentities(stateDir);
    expect(onDisk.map((i) => i.uuid).sort()).toEqual(created.map((i) => i.uuid).sort());
    expect(new Set(onDisk.map((i) => i.email)).size).toBe(30);
    expect(new Set(onDisk.map((i) => i.phone)).size).toBe(30);
    expect(await openFilesUnder(stateDir)).toEqual([]);
    // The first write folded the journal into one readable file once no create was being written.
    expect(JSON.parse(await readFile(localPaths(stateDir).identities, 'utf8'))).toMatchObject({ version: 2 });

    // Deletes and creates mixed, from the same provider: the listing matches what another process reads.
    await Promise.all([
      ...created.slice(0, 10).map((i) => provider.deleteIdentity(i.uuid)),
      ...Array.from({ length: 5 }, (_, i) => provider.createIdentity({ name: `more-${i}`, provisionPhone: false })),
    ]);
    const listed = await provider.listIdentities();
    expect(listed).toHaveLength(25);
    expect((await readLocalIdentities(stateDir)).map((i) => i.uuid).sort()).toEqual(listed.map((i) => i.uuid).sort());
  });

  it('sees what another process wrote between its bursts', async () => {
    const stateDir = join(await createTempDir('ravi-local-burst-'), 'state');
    const ours = createLocalProvider({ stateDir });
    const theirs = createLocalProvider({ stateDir });
    await Promise.all([0, 1, 2].map((i) => ours.createIdentity({ name: `a-${i}`, provisionPhone: true })));
    await Promise.all([0, 1, 2].map((i) => theirs.createIdentity({ name: `b-${i}`, provisionPhone: true })));
    const next = await ours.createIdentity({ name: 'a-3', provisionPhone: true });
    const all = await readLocalIdentities(stateDir);
    expect(all).toHaveLength(7);
    expect(new Set(all.map((i) => i.phone)).size).toBe(7); // no number given twice across the two writers
    expect(all.map((i) => i.uuid)).toContain(next.uuid);
  });
});
