import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { runBuiltCli } from '../support/cli.js';
import { readLocalIdentities } from '../support/local-identities.js';

afterAll(cleanupTempDirs);

let repo: TestRepo;
let home: string;
let worktrees: string[];
const cli = (args: string[], extra: { cwd?: string; input?: string } = {}) => runBuiltCli(args, { cwd: extra.cwd ?? repo.path, home, input: extra.input });

beforeAll(async () => {
  repo = await createRepo({ name: 'shop' });
  worktrees = [await repo.addWorktree('feat/cart'), await repo.addWorktree('fix/cart'), await repo.addWorktree('spaced name')];
  home = await createTempDir('ravi-home-');
});

describe('the ravi-orchestrator CLI', () => {
  it('plan exits 2 with pending changes, reconcile exits 0, then plan exits 0', async () => {
    const plan = await cli(['plan']);
    expect(plan.exitCode).toBe(2);
    expect(plan.stdout).toMatch(/^ {4}\+ identity ws-shop-feat-cart \(no idle identity in the pool\)$/m); // feat/cart and fix/cart keep their prefix
    expect(plan.stdout).toMatch(/Plan: 3 to create, 0 to lease, 0 to release, \d+ to update, 0 to delete\./);
    const reconcile = await cli(['reconcile']);
    expect(reconcile.stderr).toBe('');
    expect(reconcile.exitCode).toBe(0);
    expect(reconcile.stdout).toMatch(/Reconciled in [\d.]+s: 3 created/);
    const again = await cli(['plan']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    const noop = await cli(['reconcile']);
    expect(noop.stdout).toMatch(/In sync/);
  });

  it('status shows a row per worktree, as a table and as JSON', async () => {
    const table = await cli(['status']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^daemon: not running/);
    expect(table.stdout).toMatch(/^WORKTREE\s+BRANCH\s+IDENTITY\s+EMAIL\s+PHONE\s+ENV/m);
    expect(table.stdout).toMatch(/ws-shop-fix-cart\s+ws-shop-fix-cart@agents\.localhost/);
    const json = await cli(['status', '--json']);
    const status = JSON.parse(json.stdout) as { worktrees: Array<{ worktree: string; managed: boolean; env: string; email: string | null }> };
    const managed = status.worktrees.filter((w) => w.managed);
    expect(managed).toHaveLength(3);
    expect(managed.every((w) => w.env === 'in sync')).toBe(true);
    for (const worktree of worktrees) {
      const row = managed.find((w) => w.worktree === worktree);
      expect(parse(await readFile(join(worktree, '.env'), 'utf8')).AGENT_EMAIL).toBe(row?.email);
    }
  });

  it('--worktree from a setup script provisions just that worktree, and is safe to re-run', async () => {
    const fresh = await repo.addWorktree('setup-script');
    const first = await cli(['reconcile', '--worktree', fresh, '--json'], { cwd: fresh });
    expect(first.exitCode).toBe(0);
    const result = JSON.parse(first.stdout) as { ok: boolean; results: Array<{ type: string; status: string }> };
    expect(result.ok).toBe(true);
    expect(result.results.map((r) => r.type)).toEqual(['create-identity', 'write-env']);
    const second = await cli(['reconcile', '--worktree', '.', '--json'], { cwd: fresh });
    expect(JSON.parse(second.stdout).results).toEqual([]);
  });

  it('two reconciles at once end with one identity per worktree', async () => {
    const extra = [await repo.addWorktree('race-1'), await repo.addWorktree('race-2'), await repo.addWorktree('race-3')];
    const runs = await Promise.all([cli(['reconcile']), cli(['reconcile']), cli(['reconcile'])]);
    expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    const identities = { identities: await readLocalIdentities(join(home, 'state')) };
    const names = identities.identities.map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    for (const worktree of extra) {
      const email = parse(await readFile(join(worktree, '.env'), 'utf8')).AGENT_EMAIL;
      expect(names.filter((n) => `${n}@agents.localhost` === email)).toHaveLength(1);
    }
  });

  it('secrets set reads the value from stdin and reconcile copies it; the value is never printed', async () => {
    const secret = 'sk-e2e-$ecret "quoted"';
    const set = await cli(['secrets', 'set', 'OPENAI_API_KEY'], { input: `${secret}\n` });
    expect(set.exitCode).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(secret);
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'default' } }));
    try {
      const run = await cli(['reconcile', '--log-level', 'trace']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(parse(await readFile(join(worktrees[0] as string, '.env'), 'utf8')).OPENAI_API_KEY).toBe(secret);
      const list = await cli(['secrets', 'list']);
      expect(list.stdout.trim()).toBe('OPENAI_API_KEY');
    } finally {
      await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), '{}');
    }
  });

  it('returns the identity of a deleted worktree to the pool after the grace period (0 here)', async () => {
    const doomed = await repo.addWorktree('doomed');
    await cli(['reconcile']);
    await repo.removeWorktree(doomed, { force: true });
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ orphans: { grace: 0 } }));
    const plan = await cli(['plan']);
    expect(plan.stdout).toMatch(/< release ws-shop-doomed to the pool \(its worktree is gone\)/);
    const run = await cli(['reconcile']);
    expect(run.stdout).toMatch(/1 released, 0 updated, 0 deleted/);
    const identities = { identities: await readLocalIdentities(join(home, 'state')) };
    expect(identities.identities.map((i) => i.name)).toContain('ws-shop-doomed');
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/identity pool: 1 idle \(0 available, 1 in quarantine\)/);
    expect(status.stdout).toMatch(/ws-shop-doomed\s+ws-shop-doomed@agents\.localhost\s+\S+\s+quarantine, 30m left/);
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), '{}');
  });

  it('history shows the audit trail, also of a worktree that no longer exists', async () => {
    const run = await cli(['history', '--worktree', join(repo.root, 'shop-worktrees', 'doomed'), '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const records = JSON.parse(run.stdout) as Array<{ type: string; identity: string; detail: Record<string, unknown> }>;
    expect(records.map((r) => r.type)).toEqual(['identity.created', 'env.written', 'lease.ended']);
    expect(records.every((r) => r.identity === 'ws-shop-doomed')).toBe(true);
    const table = await cli(['history', '--identity', 'ws-shop-feat-cart', '--since', '1h']);
    expect(table.stdout).toMatch(/^TIME\s+EVENT\s+IDENTITY/);
    expect(table.stdout).toMatch(/identity\.created\s+ws-shop-feat-cart\s/);
  });

  it('bad flags exit 64 and name the flag', async () => {
    const run = await cli(['plan', '--frobnicate']);
    expect(run.exitCode).toBe(64);
    expect(run.stderr).toMatch(/--frobnicate/);
    expect((await cli(['explode'])).exitCode).toBe(64);
  });

  it('an invalid config exits 78 naming the file, the key and the problem', async () => {
    const dir = await createTempDir('ravi-badcfg-');
    const file = join(dir, 'ravi-orchestrator.config.json');
    await writeFile(file, JSON.stringify({ concurrency: 0, orphans: { grace: 'soon' } }));
    const run = await cli(['plan', '--config', file, '--json']);
    expect(run.exitCode).toBe(78);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toMatch(/concurrency/);
    expect(run.stderr).toMatch(/orphans\.grace/);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, exitCode: 78 });
  });

  it('outside a git repo and without repos it says what to do (exit 78)', async () => {
    const run = await cli(['plan'], { cwd: home });
    expect(run.exitCode).toBe(78);
    expect(run.stderr).toMatch(/--repo/);
  });

  it('leaves nothing of its own in git status and keeps backups out of the worktrees', async () => {
    for (const worktree of worktrees) {
      expect(await repo.git('-C', worktree, 'status', '--porcelain', '--untracked-files=all', '--ignored=no')).toBe('');
      expect((await readdir(worktree)).filter((f) => f.includes('bak'))).toEqual([]);
    }
  });
});
