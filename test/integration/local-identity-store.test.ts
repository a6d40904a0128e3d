/**
 * The local identity file is read without its schemas when it holds exactly what the provider writes (every
 * `otp` and `whoami` reads it; valibot costs ~9 ms to load), and through them otherwise: what comes back, and
 * every error, must be what the schemas give.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalIdentities } from '../../src/providers/local/local-identity-store.js';
import { parseOp, parseSnapshot } from '../../src/providers/local/local-identity-schema.js';
import { createLocalProvider, localPaths } from '../../src/providers/local/local-provider.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

async function stateWithFile(content: unknown, journal: readonly unknown[] = []): Promise<string> {
  const stateDir = join(await createTempDir('ravi-local-store-'), 'state');
  const file = localPaths(stateDir).identities;
  await mkdir(join(stateDir, 'local'), { recursive: true });
  await writeFile(file, `${JSON.stringify(content)}\n`);
  const generation = (content as { generation?: number }).generation ?? 0;
  if (journal.length > 0) await writeFile(`${file}.journal-${generation}`, journal.map((op) => `${JSON.stringify(op)}\n`).join(''));
  return file;
}

const identity = { uuid: 'u-1', name: 'ws-app-a', email: 'ws-app-a@agents.localhost', phone: '+12015550100', createdAt: '2026-12-01T00:00:00.000Z' };

describe('the local identity store', () => {
  it('what the provider writes (snapshot and journal) is what the schemas return, key order included', async () => {
    const stateDir = join(await createTempDir('ravi-local-store-'), 'state');
    const provider = createLocalProvider({ stateDir, quarantineMs: 60_000 });
    const kept = await provider.createIdentity({ name: 'ws-app-a', provisionPhone: true });
    const gone = await provider.createIdentity({ name: 'ws-app-b', provisionPhone: false });
    await provider.deleteIdentity(gone.uuid); // a `remove` with the address resting
    const file = localPaths(stateDir).identities;
    const names = await readdir(join(stateDir, 'local'));
    const journal = names.find((name) => name.startsWith('identities.json.journal-'));
    expect(journal).toBeDefined();
    const snapshot = JSON.parse(await readFile(file, 'utf8')) as unknown;
    expect(JSON.stringify(parseSnapshot(snapshot))).toBe(JSON.stringify(snapshot));
    const ops = (await readFile(join(stateDir, 'local', journal!), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(ops.map((op) => (op as { op: string }).op)).toEqual(expect.arrayContaining(['put', 'remove']));
    for (const op of ops) expect(JSON.stringify(parseOp(op))).toBe(JSON.stringify(op));
    const store = await openLocalIdentities(file);
    expect([...store.state.identities.values()]).toEqual([kept]);
    expect(store.state.retired).toEqual([expect.objectContaining({ email: gone.email, phone: null })]);
  });

  it('a key the schema does not know is dropped, as the schema drops it', async () => {
    const file = await stateWithFile({ version: 2, generation: 0, identities: [{ ...identity, note: 'by hand' }], retired: [] });
    expect([...(await openLocalIdentities(file)).state.identities.values()]).toEqual([identity]);
    expect(Object.keys([...(await openLocalIdentities(file)).state.identities.values()][0]!)).toEqual(['uuid', 'name', 'email', 'phone', 'createdAt']);
  });

  it('keys in another order come back in the schema\'s order', async () => {
    const { createdAt, ...rest } = identity;
    const file = await stateWithFile({ version: 2, generation: 0, identities: [{ createdAt, ...rest }], retired: [] });
    expect(Object.keys([...(await openLocalIdentities(file)).state.identities.values()][0]!)).toEqual(['uuid', 'name', 'email', 'phone', 'createdAt']);
  });

  it('a version-1 file is read (and marked for rewriting) through the schema', async () => {
    const file = await stateWithFile({ version: 1, identities: [identity] });
    const store = await openLocalIdentities(file);
    expect([...store.state.identities.values()]).toEqual([identity]);
    expect(store.state.retired).toEqual([]);
  });

  it('a value of the wrong type is refused with the schema\'s message, naming where', async () => {
    const file = await stateWithFile({ version: 2, generation: 0, identities: [{ ...identity, phone: 5 }], retired: [] });
    await expect(openLocalIdentities(file)).rejects.toThrow(/local provider's identity file .* is malformed at identities\.0\.phone/);
  });

  it('a journal line that is no operation is corruption, reported', async () => {
    const file = await stateWithFile({ version: 2, generation: 3, identities: [], retired: [] }, [{ op: 'put', identity }, { op: 'rename', uuid: 'u-1' }]);
    await expect(openLocalIdentities(file)).rejects.toThrow(/journal .*journal-3 is corrupt: line 2 is not an operation/);
  });

  it('journal operations the schema takes with keys in another order are applied as the schema returns them', async () => {
    const file = await stateWithFile({ version: 2, generation: 0, identities: [], retired: [] }, [{ identity, op: 'put' }]);
    expect([...(await openLocalIdentities(file)).state.identities.values()]).toEqual([identity]);
  });
});
