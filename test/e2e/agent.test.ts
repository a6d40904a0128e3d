import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv, type TestRepo } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { waitFor } from '../support/daemon-process.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
let repo: TestRepo;
let home: string;
let worktrees: string[];
const uuidOf = async (worktree: string) => (JSON.parse(await readFile(join(worktree, '.ravi', 'config.json'), 'utf8')) as { identity_uuid: string }).identity_uuid;
const cli = (args: string[], cwd: string) => runBuiltCli(args, { cwd, home });

beforeAll(async () => {
  server = await startFakeRaviServer();
  repo = await createRepo({ name: 'agents' });
  worktrees = [];
  for (let i = 0; i < 10; i += 1) worktrees.push(await repo.addWorktree(`agent-${i}`));
  home = await createTempDir('ravi-agent-home-');
  const credentials = join(home, 'ravi.json');
  await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const vault = server.addIdentity({ name: 'team-vault' });
  server.setSecret(vault.uuid, 'STRIPE_KEY', 'sk_test_agent_secret');
  await writeFile(
    join(repo.path, 'ravi-orchestrator.config.json'),
    JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, env: { secrets: ['STRIPE_KEY'], writeSecrets: false }, secrets: { vault: 'team-vault' } }),
  );
  expect((await cli(['reconcile'], repo.path)).exitCode).toBe(0);
});
afterAll(async () => {
  await server.close();
});

describe('agent commands inside a worktree (Ravi provider)', () => {
  it('whoami answers from the current directory', async () => {
    const run = await cli(['whoami', '--json'], join(worktrees[3] as string));
    const me = JSON.parse(run.stdout) as { email: string; uuid: string };
    expect(me.uuid).toBe(await uuidOf(worktrees[3] as string));
    expect(parse(await readFile(join(worktrees[3] as string, '.env'), 'utf8')).AGENT_EMAIL).toBe(me.email);
  });

  it('ten agents waiting at once each get their own code', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };
    const waiting = worktrees.map((cwd) => execa(process.execPath, [CLI_PATH, 'otp', '--wait', '30s'], { cwd, env, extendEnv: false, reject: false }));
    const uuids = await Promise.all(worktrees.map(uuidOf));
    // A bound, not a timing claim: ten CLIs start at once on a loaded 2-core machine.
    await waitFor(() => uuids.every((uuid) => server.calls.some((c) => c.path === '/api/email-messages/' && c.identityScope === uuid)), 'every agent to poll', 60_000);
    uuids.forEach((uuid, i) => {
      if (i % 2 === 0) server.addEmail(uuid, { subject: 'Your Acme code', text_content: `Use ${100000 + i} to sign in. Order #99887766 ©2026` });
      else server.addSms(uuid, { body: `${200000 + i} is your verification code` });
    });
    const results = await Promise.all(waiting);
    expect(results.map((r) => r.exitCode)).toEqual(worktrees.map(() => 0));
    expect(results.map((r) => r.stdout.trim())).toEqual(worktrees.map((_, i) => String(i % 2 === 0 ? 100000 + i : 200000 + i)));
  });

  it('otp --wait times out with exit 3 and a clear message', async () => {
    const quiet = await repo.addWorktree('quiet');
    expect((await cli(['reconcile', '--worktree', '.'], quiet)).exitCode).toBe(0);
    const run = await cli(['otp', '--wait', '1s'], quiet);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/No verification code arrived .* within 1s/);
  });

  it('otp without --wait lists the inbox once, and says what that listing held when it has no code', async () => {
    const wt = await repo.addWorktree('no-code');
    expect((await cli(['reconcile', '--worktree', '.'], wt)).exitCode).toBe(0);
    const uuid = await uuidOf(wt);
    // Ravi's email and SMS listings (ravi-messages.ts), scoped to this identity.
    const listings = () => server.calls.filter((c) => /^\/api\/(email-messages|messages)\/$/.test(c.path) && c.identityScope === uuid).map((c) => c.path).sort();
    const empty = await cli(['otp'], wt);
    expect(empty.exitCode).toBe(3);
    expect(empty.stderr).toMatch(/^No verification code arrived for \S+\. The inbox is empty\.$/);
    expect(listings()).toEqual(['/api/email-messages/', '/api/messages/']);
    server.addEmail(uuid, { subject: 'Welcome aboard', text_content: 'Thanks for signing up.', created_dt: new Date(Date.now() + 1_000).toISOString() });
    const noCode = await cli(['otp'], wt);
    expect(noCode.exitCode).toBe(3);
    expect(noCode.stderr).toMatch(/^No verification code arrived for \S+\. The inbox holds 1 email and 0 SMS, none with a verification code\.$/);
    expect(listings()).toEqual(['/api/email-messages/', '/api/email-messages/', '/api/messages/', '/api/messages/']); // no unread listing either: no --unread
  });

  it('otp --wait does not hand back a code that was in the inbox before the call (issue 13 finding 6)', async () => {
    const wt = worktrees[5] as string;
    // Stamped a second before the call: a 5 s clock-skew allowance used to return it (a stale "resend" code).
    server.addEmail(await uuidOf(wt), { subject: 'Your code', text_content: 'Your code is 555111', created_dt: new Date(Date.now() - 1000).toISOString() });
    const run = await cli(['otp', '--wait', '2s'], wt);
    expect(run.stdout).not.toContain('555111');
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/No verification code arrived for \S+ after this call began within 2s\. The inbox holds \d+ emails? and \d+ SMS; the newest with a code is email \S+ from .* left out because it was already there when this call began\. Try: `ravi-orchestrator otp` \(no --wait\) takes the newest one; or `ravi-orchestrator otp --wait 2s --since-setup` counts every message of this lease\./);
    expect((await cli(['otp'], wt)).stdout.trim()).toBe('555111');
  });

  it('a code that arrives during the wait counts even when the provider\'s clock is behind ours', async () => {
    const wt = worktrees[6] as string;
    const uuid = await uuidOf(wt);
    const env = isolatedEnv(home);
    const { leaseSince } = JSON.parse((await cli(['whoami', '--json'], wt)).stdout) as { leaseSince: string };
    const waiting = execa(process.execPath, [CLI_PATH, 'otp', '--wait', '20s'], { cwd: wt, env, extendEnv: false, reject: false });
    const listings = () => server.calls.filter((c) => c.path === '/api/email-messages/' && c.identityScope === uuid).length;
    const before = listings();
    await waitFor(() => listings() >= before + 2, 'the call to note the inbox and poll once');
    // Stamped before the call began (just after the lease began) by a provider whose clock lags ours: it was not in
    // the inbox when the call began, so it counts. (Before the lease it would not: that is an earlier task's mail.)
    server.addSms(uuid, { body: '777333 is your verification code', created_dt: new Date(Date.parse(leaseSince) + 1).toISOString() });
    const result = await waiting;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('777333');
  });

  it('link --wait after otp --wait took the same mail says what it saw and what to run', async () => {
    const wt = worktrees[2] as string;
    const uuid = await uuidOf(wt);
    const env = isolatedEnv(home);
    const otp = execa(process.execPath, [CLI_PATH, 'otp', '--wait', '20s'], { cwd: wt, env, extendEnv: false, reject: false });
    const listings = () => server.calls.filter((c) => c.path === '/api/email-messages/' && c.identityScope === uuid).length;
    const before = listings();
    await waitFor(() => listings() >= before + 2, 'otp to note the inbox and poll once');
    server.addEmail(uuid, { subject: 'Welcome', text_content: 'Your code is 246810, or confirm: https://app.example.com/verify?t=1' });
    expect((await otp).stdout.trim()).toBe('246810');
    const link = await cli(['link', '--wait', '1s'], wt);
    expect(link.exitCode).toBe(3);
    expect(link.stderr).toMatch(/the newest with a link is email \S+ from .* left out because it was already there when this call began\. Try: `ravi-orchestrator link` \(no --wait\) takes the newest one; or `ravi-orchestrator link --wait 1s --since-setup`/);
    expect((await cli(['link'], wt)).stdout.trim()).toBe('https://app.example.com/verify?t=1');
    expect((await cli(['link', '--wait', '1s', '--since-setup'], wt)).stdout.trim()).toBe('https://app.example.com/verify?t=1');
  });

  it('--mark-read consumes a code so the next call gets the next one', async () => {
    const wt = worktrees[7] as string;
    const uuid = await uuidOf(wt);
    // During the lease (it began at setup): an agent never sees what arrived before its lease.
    server.addEmail(uuid, { subject: 'first', text_content: 'code: 111222', created_dt: new Date(Date.now() + 1_000).toISOString() });
    server.addEmail(uuid, { subject: 'second', text_content: 'code: 333444', created_dt: new Date(Date.now() + 2_000).toISOString() });
    const first = JSON.parse((await cli(['otp', '--mark-read', '--json'], wt)).stdout) as { code: string; messageId: string };
    const second = JSON.parse((await cli(['otp', '--mark-read', '--json'], wt)).stdout) as { code: string; messageId: string };
    expect(first.code).not.toBe(second.code);
    expect(first.messageId).not.toBe(second.messageId);
  });

  it('otp --mark-read with nothing unread says the newest code was taken, and a plain otp still reads it', async () => {
    const wt = await repo.addWorktree('taken-once');
    expect((await cli(['reconcile', '--worktree', '.'], wt)).exitCode).toBe(0);
    server.addEmail(await uuidOf(wt), { subject: 'code', text_content: 'code: 909090', created_dt: new Date(Date.now() + 1_000).toISOString() });
    expect((await cli(['otp', '--mark-read'], wt)).stdout.trim()).toBe('909090');
    const again = await cli(['otp', '--mark-read'], wt);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toMatch(/The inbox holds 1 email and 0 SMS; the newest with a code is email \S+ from .* left out because it was taken before \(--mark-read\) or is marked read\. Try: leave out --unread and --mark-read to count read messages\.$/);
    expect((await cli(['otp'], wt)).stdout.trim()).toBe('909090');
  });

  it('link finds the verification link, decoding entities and tracking redirects', async () => {
    const wt = worktrees[8] as string;
    server.addEmail(await uuidOf(wt), {
      subject: 'Confirm your email',
      html_content: '<a href="https://example.com/unsubscribe">unsubscribe</a> <a href="https://track.example.com/c?url=https%3A%2F%2Fapp.example.com%2Fverify%3Ftoken%3Dabc%26u%3D1">Verify email</a>',
      text_content: '',
    });
    const run = await cli(['link', '--json'], wt);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, link: 'https://app.example.com/verify?token=abc&u=1' });
  });

  it('inbox lists only this agent\'s messages with Ravi\'s field names', async () => {
    const run = await cli(['inbox', 'email', '--json'], worktrees[0] as string);
    const messages = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(Object.keys(m)).toEqual(expect.arrayContaining(['id', 'from_email', 'to_email', 'subject', 'text_content', 'html_content', 'is_read', 'created_dt']));
    expect(JSON.stringify(messages)).not.toContain('100002');
  });

  it('env masks secrets unless --reveal; exec passes them to the command without writing them to disk', async () => {
    const wt = worktrees[1] as string;
    const masked = await cli(['env'], wt);
    expect(masked.stdout).toMatch(/^STRIPE_KEY='\*+'$/m);
    expect(masked.stdout).not.toContain('sk_test_agent_secret');
    expect((await cli(['env', '--reveal'], wt)).stdout).toMatch(/^STRIPE_KEY='sk_test_agent_secret'$/m);
    expect(await readFile(join(wt, '.env'), 'utf8')).not.toContain('sk_test_agent_secret');
    const run = await cli(['exec', '--', process.execPath, '-e', 'process.stdout.write(`${process.env.STRIPE_KEY}|${process.env.AGENT_EMAIL}`)'], wt);
    const [secret, email] = run.stdout.split('|');
    expect(secret).toBe('sk_test_agent_secret');
    expect(email).toBe(parse(await readFile(join(wt, '.env'), 'utf8')).AGENT_EMAIL);
    expect((await cli(['exec', '--', process.execPath, '-e', 'process.exit(7)'], wt)).exitCode).toBe(7);
  });

  it('release (teardown) ends this worktree\'s lease at once, calls no provider and touches nothing else', async () => {
    const wt = worktrees[9] as string;
    const uuid = await uuidOf(wt);
    const before = server.identities().length;
    server.resetCalls();
    const run = await cli(['release'], wt);
    expect(run.exitCode).toBe(0);
    expect(server.calls).toEqual([]); // the identity is kept for the pool, not deleted
    expect(server.identities()).toHaveLength(before);
    expect((await cli(['whoami'], wt)).stderr).toMatch(/released by teardown/);
    const status = JSON.parse((await cli(['status', '--json'], repo.path)).stdout) as { pool: { uuid: string }[] };
    expect(status.pool.map((p) => p.uuid)).toEqual([uuid]);
  });
});

describe('agent commands on the local provider', () => {
  let local: TestRepo;
  let localHome: string;
  beforeEach(async () => {
    local = await createRepo({ name: 'offline' });
    localHome = await createTempDir('ravi-local-agent-');
  });
  afterEach(() => undefined);

  it('work, and say where local mail comes from when the inbox is empty', async () => {
    const wt = await local.addWorktree('solo');
    expect((await runBuiltCli(['reconcile'], { cwd: local.path, home: localHome })).exitCode).toBe(0);
    const inbox = await runBuiltCli(['inbox'], { cwd: wt, home: localHome });
    expect(inbox.exitCode).toBe(0);
    expect(inbox.stdout).toMatch(/No messages for ws-offline-solo@agents\.localhost \(local mail arrives through SMTP 127\.0\.0\.1:2525/);
    const otp = await runBuiltCli(['otp'], { cwd: wt, home: localHome });
    expect(otp.exitCode).toBe(3);
    expect(otp.stderr).toMatch(/No verification code arrived for ws-offline-solo@agents\.localhost/);
  });
});
