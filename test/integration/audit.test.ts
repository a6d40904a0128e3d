import { afterAll, describe, expect, it } from 'vitest';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { appendAudit, auditFile, readAudit, readAuditTail } from '../../src/audit/audit-log.js';
import { releaseWorktree } from '../../src/reconcile/release.js';
import { writeVault } from '../../src/providers/local/local-provider.js';

afterAll(cleanupTempDirs);

describe('audit trail', () => {
  it('records creation, env writes (key names only), teardown and the end of an orphan\'s lease; a deleted worktree stays readable', async () => {
    const repo = await createRepo({ name: 'audited' });
    const kept = await repo.addWorktree('kept');
    const torn = await repo.addWorktree('torn-down');
    const swept = await repo.addWorktree('swept');
    const stateDir = join(await createTempDir('ravi-audit-'), 'state');
    const harness = createHarness(testConfig(stateDir, [repo.path], { env: { secrets: ['API_TOKEN'] }, secrets: { vault: 'team' } }));
    await writeVault(stateDir, { version: 1, vaults: { team: { API_TOKEN: 'tok-audit-secret' } } });
    await harness.reconcile();
    await releaseWorktree({ config: harness.config, provider: harness.provider, logger: pino({ level: 'silent' }), worktree: torn });
    await repo.removeWorktree(swept, { force: true });
    await harness.reconcile();

    const all = await readAudit(stateDir);
    expect(all.filter((r) => r.type === 'identity.created').map((r) => r.identity).sort()).toEqual(['ws-audited-kept', 'ws-audited-swept', 'ws-audited-torn-down']);
    const env = all.find((r) => r.type === 'env.written' && r.worktree === kept);
    expect(env?.detail).toMatchObject({ changedKeys: ['AGENT_EMAIL', 'AGENT_PHONE', 'API_TOKEN'], secretsInjected: ['API_TOKEN'] });
    expect(all.find((r) => r.type === 'lease.ended' && r.worktree === torn)?.detail).toMatchObject({ reason: 'teardown' });
    const sweep = await readAudit(stateDir, { worktree: swept });
    expect(sweep.map((r) => r.type)).toEqual(['identity.created', 'env.written', 'lease.ended']);
    expect(sweep.at(-1)?.detail.reason).toMatch(/^orphan sweep/);
    expect(await readFile(auditFile(stateDir), 'utf8')).not.toContain('tok-audit-secret');
    expect(await readAudit(stateDir, { identity: 'ws-audited-kept', since: Date.now() - 60_000 })).toHaveLength(2);
  });

  it('tolerates a torn last line and keeps reading after it', async () => {
    const stateDir = join(await createTempDir('ravi-audit-torn-'), 'state');
    const { appendAudit } = await import('../../src/audit/audit-log.js');
    await appendAudit(stateDir, { type: 'error', repo: null, worktree: '/w', branch: null, identity: 'a', detail: { message: 'one' } });
    await appendFile(auditFile(stateDir), '{"time": "2026-11-24T00:00:00Z", "type": "identity.cre');
    expect((await readAudit(stateDir)).map((r) => r.identity)).toEqual(['a']);
    await writeFile(auditFile(stateDir), `${await readFile(auditFile(stateDir), 'utf8')}\n`);
    await appendAudit(stateDir, { type: 'error', repo: null, worktree: '/w', branch: null, identity: 'b', detail: { message: 'two' } });
    expect((await readAudit(stateDir)).map((r) => r.identity)).toEqual(['a', 'b']);
  });
});

describe('readAuditTail', () => {
  it('gives the newest records first, reaching into a rotated file only when the current one has too few', async () => {
    const stateDir = await createTempDir('ravi-audit-tail-');
    const event = (n: number) => ({ type: 'error' as const, repo: null, worktree: null, branch: null, identity: `id-${n}`, detail: {} });
    for (const n of [1, 2, 3]) await appendAudit(stateDir, event(n), new Date(Date.UTC(2026, 10, 24, 0, n)));
    // What rotation leaves: older lines in audit.jsonl.1, newer ones in audit.jsonl.
    await writeFile(`${auditFile(stateDir)}.1`, await readFile(auditFile(stateDir), 'utf8'));
    await writeFile(auditFile(stateDir), '');
    for (const n of [4, 5]) await appendAudit(stateDir, event(n), new Date(Date.UTC(2026, 10, 24, 0, n)));
    expect((await readAuditTail(stateDir, 2)).map((r) => r.identity)).toEqual(['id-5', 'id-4']);
    expect((await readAuditTail(stateDir, 4)).map((r) => r.identity)).toEqual(['id-5', 'id-4', 'id-3', 'id-2']);
    expect((await readAuditTail(stateDir, 10)).map((r) => r.identity)).toEqual((await readAudit(stateDir)).reverse().map((r) => r.identity));
  });
});

describe('audit trail on a disk that cut a line short', () => {
  it('starts the next record on a line of its own, so only the cut one is lost', async () => {
    const stateDir = join(await createTempDir('ravi-audit-cut-'), 'state');
    await appendAudit(stateDir, { type: 'error', repo: null, worktree: null, branch: null, identity: 'first', detail: {} });
    await appendFile(auditFile(stateDir), '{"time":"2026-12-01T00:00:00Z","type":"env.wri'); // what ENOSPC left
    await appendAudit(stateDir, { type: 'error', repo: null, worktree: null, branch: null, identity: 'after', detail: {} });
    expect((await readAudit(stateDir)).map((r) => r.identity)).toEqual(['first', 'after']);
  });
});

describe('audit trail under many events at once', () => {
  it('writes every record of a burst whole (they go out in shared writes), and starts again when idle', async () => {
    const stateDir = join(await createTempDir('ravi-audit-burst-'), 'state');
    const events = Array.from({ length: 200 }, (_, i) => appendAudit(stateDir, { type: 'error', repo: null, worktree: null, branch: null, identity: `id-${i}`, detail: { n: i } }));
    await Promise.all(events);
    const records = await readAudit(stateDir);
    expect(records.map((r) => r.identity).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `id-${i}`).sort());
    // One more after the burst lands too (the writer starts again after going idle).
    await appendAudit(stateDir, { type: 'error', repo: null, worktree: null, branch: null, identity: 'late', detail: {} });
    expect((await readAudit(stateDir)).at(-1)?.identity).toBe('late');
  });
});
