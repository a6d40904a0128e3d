import { afterAll, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { BLOCK_BEGIN } from '../../src/files/env-block.js';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';
import { worktreeKey } from '../../src/files/ledger.js';
import { writeFileAtomically } from '../../src/files/atomic-write.js';

afterAll(cleanupTempDirs);

async function setup(names: string[], overrides: Parameters<typeof testConfig>[2] = {}) {
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const stateDir = join(await createTempDir('ravi-state-'), 'state');
  const harness = createHarness(testConfig(stateDir, [repo.path], overrides));
  return { repo, worktrees, harness, stateDir };
}

const envOf = (worktree: string) => readFile(join(worktree, '.env'), 'utf8');
const mode = async (file: string) => (await stat(file)).mode & 0o777;
const statusOf = (repo: TestRepo, worktree: string) => repo.git('-C', worktree, 'status', '--porcelain', '--untracked-files=all');

describe('reconcile with the local provider', () => {
  it('gives every worktree exactly one identity and a complete, ignored, owner-only env file', async () => {
    const { repo, worktrees, harness } = await setup(['feat/login', 'fix/login', 'docs/ünïcode guide']);
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    const identities = await harness.provider.listIdentities();
    expect(identities).toHaveLength(3);
    expect(new Set(identities.map((i) => i.name)).size).toBe(3);
    for (const worktree of worktrees) {
      const env = parse(await envOf(worktree));
      const mine = identities.filter((i) => i.email === env.AGENT_EMAIL);
      expect(mine).toHaveLength(1);
      expect(env.AGENT_PHONE).toBe(mine[0]?.phone);
      expect(env.AGENT_PHONE).toMatch(/^\+1\d{3}55501\d{2}$/);
      expect(await mode(join(worktree, '.env'))).toBe(0o600);
      expect(await statusOf(repo, worktree)).toBe('');
    }
    const ledger = await harness.ledger();
    expect(ledger.identities().map((i) => i.state)).toEqual(['ready', 'ready', 'ready']);
    expect(new Set(ledger.identities().map((i) => i.lease?.worktreePath))).toEqual(new Set(worktrees));
  });

  it('is idempotent: a second pass plans nothing and rewrites no file', async () => {
    const { worktrees, harness } = await setup(['a', 'b']);
    await harness.reconcile();
    const before = await Promise.all(worktrees.map((w) => stat(join(w, '.env'))));
    const ledgerBefore = await stat((await harness.ledger()).file);
    const second = await harness.reconcile();
    expect(second.plan.actions).toEqual([]);
    expect(second.results).toEqual([]);
    const after = await Promise.all(worktrees.map((w) => stat(join(w, '.env'))));
    expect(after.map((s) => s.mtimeMs)).toEqual(before.map((s) => s.mtimeMs));
    expect((await stat((await harness.ledger()).file)).mtimeMs).toBe(ledgerBefore.mtimeMs);
  });

  it('keeps user lines byte for byte, removes legacy duplicates and backs the old file up once', async () => {
    const { worktrees, harness, stateDir } = await setup(['feat-x']);
    const user = '# mine\r\nexport DATABASE_URL="postgres://x"\r\n\r\nAGENT_EMAIL=ws-@raviapp.com\r\nTOKEN=abc # note';
    await writeFile(join(worktrees[0] as string, '.env'), user);
    await harness.reconcile();
    const written = await envOf(worktrees[0] as string);
    expect(written.startsWith('# mine\r\nexport DATABASE_URL="postgres://x"\r\n\r\nTOKEN=abc # note\r\n')).toBe(true);
    expect(written).toContain(`\r\n${BLOCK_BEGIN}\n`); // our block is LF even in a CRLF file: bash reads CR into values
    expect(written.match(/AGENT_EMAIL=/g)).toHaveLength(1);
    const backups = (await readdir(join(stateDir, 'backups'))).filter((f) => f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    expect(await readFile(join(stateDir, 'backups', backups[0] as string), 'utf8')).toBe(user);
  });

  it('refuses to write an env file that git tracks, and leaves it untouched', async () => {
    const { repo, harness } = await setup([]);
    await repo.commitFile('.env', 'COMMITTED=1\n');
    const worktree = await repo.addWorktree('tracked');
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(/\.env is tracked by git/);
    expect(await envOf(worktree)).toBe('COMMITTED=1\n');
    expect(await statusOf(repo, worktree)).toBe('');
  });

  it('keeps the identity across git worktree move', async () => {
    const { repo, worktrees, harness } = await setup(['mover']);
    await harness.reconcile();
    const [before] = await harness.provider.listIdentities();
    const target = join(repo.root, 'moved-here');
    await repo.moveWorktree(worktrees[0] as string, target);
    await harness.reconcile();
    const after = await harness.provider.listIdentities();
    expect(after.map((i) => i.uuid)).toEqual([before?.uuid]);
    expect(parse(await envOf(target)).AGENT_EMAIL).toBe(before?.email);
  });

  it('returns a removed worktree\'s identity to the pool, never touches a foreign one, and keeps a locked one\'s lease', async () => {
    const { repo, worktrees, harness } = await setup(['gone', 'locked']);
    const foreign = await harness.provider.createIdentity({ name: 'ws-app-gone-foreign', provisionPhone: false });
    await harness.reconcile();
    await repo.lockWorktree(worktrees[1] as string, 'on a usb disk');
    await rm(worktrees[1] as string, { recursive: true, force: true });
    await repo.removeWorktree(worktrees[0] as string, { force: true });
    const report = await harness.reconcile();
    expect(report.plan.problems).toEqual([]);
    const locked = report.observed.repos[0]?.worktrees.find((w) => w.worktree.path === worktrees[1]);
    expect(locked).toMatchObject({ managed: false, unmanagedReason: 'its folder is missing' }); // git does not call it prunable
    expect(report.results.filter((r) => r.action.type === 'release-lease')).toHaveLength(1);
    expect(report.results.filter((r) => r.action.type === 'delete-identity')).toEqual([]); // keepIdle 3: kept in the pool
    const names = (await harness.provider.listIdentities()).map((i) => i.name).sort();
    expect(names).toEqual(['ws-app-gone', foreign.name, 'ws-app-locked'].sort());
    const ledger = await harness.ledger();
    expect(ledger.identity('ws-app-gone')).toMatchObject({ lease: null, lastHolder: { worktreePath: worktrees[0] } });
    expect(ledger.identity('ws-app-locked')?.lease?.worktreePath).toBe(worktrees[1]);
    expect(ledger.identity(foreign.name)).toBeUndefined();
  });

  it('deletes idle identities beyond pool.keepIdle on the local provider, and only ours', async () => {
    const { repo, worktrees, harness } = await setup(['a', 'b', 'c'], { pool: { quarantineMs: 0, keepIdle: 1 } });
    const foreign = await harness.provider.createIdentity({ name: 'ws-app-a-foreign', provisionPhone: false });
    await harness.reconcile();
    for (const worktree of worktrees) await repo.removeWorktree(worktree, { force: true });
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.action.type === 'release-lease' && r.status === 'done')).toHaveLength(3);
    expect(report.results.filter((r) => r.action.type === 'delete-identity' && r.status === 'done')).toHaveLength(2);
    const left = (await harness.provider.listIdentities()).map((i) => i.name);
    expect(left).toHaveLength(2);
    expect(left).toContain(foreign.name);
    expect((await harness.ledger()).identities()).toHaveLength(1);
    // A new worktree leases the one kept: no identity is created.
    const next = await repo.addWorktree('d');
    const again = await harness.reconcile();
    expect(again.results.map((r) => r.action.type)).toContain('lease-identity');
    expect(again.results.map((r) => r.action.type)).not.toContain('create-identity');
    expect(parse(await envOf(next)).AGENT_EMAIL).toMatch(/^ws-app-[abc]@agents\.localhost$/);
  });

  it('ends the lease of a removed worktree only after the grace period', async () => {
    const { repo, worktrees, harness } = await setup(['brief'], { orphans: { graceMs: 10 * 60_000 } });
    await harness.reconcile();
    await repo.removeWorktree(worktrees[0] as string);
    const now = Date.now();
    await harness.reconcile({ now });
    expect((await harness.ledger()).identity('ws-app-brief')?.lease?.orphanedSince).toBe(new Date(now).toISOString());
    await harness.reconcile({ now: now + 9 * 60_000 });
    expect((await harness.ledger()).identity('ws-app-brief')?.lease).not.toBeNull();
    await harness.reconcile({ now: now + 11 * 60_000 });
    expect(await harness.provider.listIdentities()).toHaveLength(1);
    expect((await harness.ledger()).identity('ws-app-brief')).toMatchObject({ lease: null, idleSince: new Date(now + 11 * 60_000).toISOString() });
  });

  it('adopts an identity created just before a crash instead of creating a second one', async () => {
    const { repo, worktrees, harness, stateDir } = await setup(['crashy']);
    const ledger = await harness.ledger();
    const adminId = 'crashy';
    // State after a crash between "create succeeded" and "uuid recorded": intent on disk, identity at the provider.
    const now = new Date().toISOString();
    ledger.put({
      name: 'ws-app-crashy', state: 'creating', uuid: null, email: null, phone: null, createdAt: now, idleSince: null, lastHolder: null, leases: 1,
      lease: { id: 'lease-crashy', worktreeKey: worktreeKey(repo.commonDir, adminId), commonDir: repo.commonDir, adminId, worktreePath: worktrees[0] as string, branch: 'refs/heads/crashy', since: now, orphanedSince: null },
    });
    await ledger.flush();
    const made = await createLocalProvider({ stateDir }).createIdentity({ name: 'ws-app-crashy', provisionPhone: true });
    const report = await harness.reconcile();
    expect(report.plan.actions.map((a) => a.type).filter((t) => t !== 'ensure-excluded' && t !== 'claim-repo')).toEqual(['adopt-identity', 'write-env']);
    expect((await harness.provider.listIdentities()).map((i) => i.uuid)).toEqual([made.uuid]);
    expect(parse(await envOf(worktrees[0] as string)).AGENT_EMAIL).toBe(made.email);
  });

  it('--worktree handles only that worktree', async () => {
    const { worktrees, harness } = await setup(['one', 'two']);
    const report = await harness.reconcile({ worktree: join(worktrees[1] as string) });
    expect(report.focus?.worktree.adminId).toBe('two');
    expect((await harness.provider.listIdentities()).map((i) => i.name)).toEqual(['ws-app-two']);
    await expect(stat(join(worktrees[0] as string, '.env'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to start from a corrupt ledger instead of forgetting what it owns', async () => {
    const { harness } = await setup(['x']);
    await harness.reconcile();
    const ledger = await harness.ledger();
    await writeFileAtomically(ledger.file, '{"version": 1, "scope": "local", "entries": {"k": {"name": 3}}}');
    await expect(harness.reconcile()).rejects.toThrow(/malformed.*will not start from an empty ledger/s);
  });

  it('copies vault secrets into the block and never logs them', async () => {
    const { worktrees, harness, stateDir } = await setup(['sec'], { env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team' } });
    const { writeVault } = await import('../../src/providers/local/local-provider.js');
    const secret = "sk-test-'quoted' value #1";
    await writeVault(stateDir, { version: 1, vaults: { team: { OPENAI_API_KEY: secret } } });
    await harness.reconcile();
    expect(parse(await envOf(worktrees[0] as string)).OPENAI_API_KEY).toBe(secret);
    expect(harness.logs.length).toBeGreaterThan(0);
    expect(harness.logs.join('')).not.toContain('sk-test');
  });
});

describe('env files that are not plain files', () => {
  it('refuses a symlinked, directory or FIFO .env with a clear problem and writes nothing through it', async () => {
    const { symlink, mkdir } = await import('node:fs/promises');
    const { execFileSync } = await import('node:child_process');
    const { worktrees, harness } = await setup(['link', 'dir', 'fifo']);
    const outside = join(await createTempDir('ravi-outside-'), 'shared.env');
    await writeFile(outside, 'SHARED=1\n');
    await symlink(outside, join(worktrees[0] as string, '.env'));
    await mkdir(join(worktrees[1] as string, '.env'));
    execFileSync('mkfifo', [join(worktrees[2] as string, '.env')]);
    const report = await harness.reconcile();
    const messages = report.plan.problems.map((p) => p.message).join('\n');
    expect(messages).toMatch(/is a symlink; ravi-orchestrator will not write secrets through it/);
    expect(messages).toMatch(/is a directory, not an env file/);
    expect(messages).toMatch(/is not a regular file/);
    expect(await readFile(outside, 'utf8')).toBe('SHARED=1\n');
    expect(await harness.provider.listIdentities()).toHaveLength(3); // identities still provisioned
  });
});

describe('state that cannot be trusted', () => {
  it('a corrupt local identities file fails the listing: nothing deleted, nothing reset', async () => {
    const { repo, worktrees, harness, stateDir } = await setup(['keep', 'gone']);
    await harness.reconcile();
    await repo.removeWorktree(worktrees[1] as string, { force: true });
    const file = join(stateDir, 'local', 'identities.json');
    await writeFile(file, '{"version": 1, "identities": [ {"uuid": ');
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(/Listing identities failed: .*not valid JSON/);
    expect(report.results.filter((r) => r.action.type === 'delete-identity')).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe('{"version": 1, "identities": [ {"uuid": ');
    expect((await harness.ledger()).identities()).toHaveLength(2);
  });

  it('a repo that disappears keeps its identities and their leases (nothing ends on doubt)', async () => {
    const { repo, harness } = await setup(['a', 'b']);
    await harness.reconcile();
    await rm(repo.path, { recursive: true, force: true });
    const report = await harness.reconcile();
    expect(report.plan.notes.map((n) => n.message).join('\n')).toMatch(/no lease of this repo ends this pass/);
    expect(await harness.provider.listIdentities()).toHaveLength(2);
    expect((await harness.ledger()).identities().every((i) => i.lease !== null)).toBe(true);
  });
});
