import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import nodemailer from 'nodemailer';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv, type TestRepo } from '../support/git-fixtures.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor, type DaemonProcess } from '../support/daemon-process.js';
import { CLI_PATH, runBuiltCli } from '../support/cli.js';
import { readLocalIdentities } from '../support/local-identities.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

interface Status { state: string; pid: number; mail: { smtp: string; sms: string } | null }

let repo: TestRepo;
let home: string;
let worktrees: string[];
let daemon: DaemonProcess;
let smtpPort: number;
let smsUrl: string;
const statusFile = () => join(home, 'state', 'daemon-status.json');
const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));
const cliEnv = () => ({ PATH: process.env.PATH ?? '', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv });

async function startDaemon(): Promise<DaemonProcess> {
  const started = startDaemonProcess({ cwd: repo.path, home });
  const status = await waitFor(async () => {
    const s = await readJsonFile<Status>(statusFile());
    return s?.pid === started.pid && s.state === 'running' && s.mail !== null ? s : null;
  }, 'the daemon and its mail servers');
  smtpPort = Number(status.mail?.smtp.split(':').at(-1));
  smsUrl = status.mail?.sms ?? '';
  return started;
}

async function send(to: string, subject: string, text: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: 'Acme <no-reply@acme.test>', to, subject, text, html: `<p>${text}</p>` });
  } finally {
    transport.close();
  }
}

beforeAll(async () => {
  repo = await createRepo({ name: 'offline' });
  worktrees = [];
  for (let i = 0; i < 10; i += 1) worktrees.push(await repo.addWorktree(`signup-${i}`));
  home = await createTempDir('ravi-mail-home-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ orphans: { grace: 0 }, pool: { keepIdle: 0 }, mail: { smtpPort: 0, smsPort: 0 } }));
  daemon = await startDaemon();
  await waitFor(async () => (await Promise.all(worktrees.map((w) => envOf(w).catch(() => null)))).every((e) => e?.AGENT_EMAIL), 'every .env');
});

describe('local inboxes: a real SMTP server and SMS endpoint per agent', () => {
  it('a sign-up email sent with nodemailer reaches `otp --wait` in that worktree', async () => {
    const worktree = worktrees[0] as string;
    const waiting = execa(process.execPath, [CLI_PATH, 'otp', '--wait', '20s'], { cwd: worktree, env: cliEnv(), extendEnv: false, reject: false });
    await send((await envOf(worktree)).AGENT_EMAIL as string, 'Confirm your Acme account', 'Your Acme code is 481 516. Call +1 (415) 555-0100 if this was not you. ©2026');
    const result = await waiting;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('481516');
  });

  it('ten worktrees in parallel each receive only their own mail', async () => {
    const emails = await Promise.all(worktrees.map(async (w) => (await envOf(w)).AGENT_EMAIL as string));
    await Promise.all(emails.map((to, i) => send(to, `code ${i}`, `Your verification code is ${700000 + i}`)));
    const codes = await Promise.all(worktrees.map((w) => runBuiltCli(['otp'], { cwd: w, home })));
    expect(codes.map((c) => c.stdout.trim())).toEqual(worktrees.map((_, i) => String(700000 + i)));
    const inbox = JSON.parse((await runBuiltCli(['inbox', 'email', '--json'], { cwd: worktrees[3] as string, home })).stdout) as Array<Record<string, unknown>>;
    expect(inbox.every((m) => m.to_email === emails[3])).toBe(true);
    expect(Object.keys(inbox[0] ?? {})).toEqual(expect.arrayContaining(['id', 'from_email', 'to_email', 'subject', 'text_content', 'html_content', 'is_read', 'created_dt']));
  });

  it('mail to an unknown address is refused with an SMTP error', async () => {
    await expect(send('nobody@agents.localhost', 'hi', 'code 123456')).rejects.toMatchObject({ responseCode: 550 });
  });

  it('SMS arrive through `sms deliver` and the loopback HTTP endpoint', async () => {
    const worktree = worktrees[4] as string;
    const phone = (await envOf(worktree)).AGENT_PHONE as string;
    const delivered = await runBuiltCli(['sms', 'deliver', '--to', phone, '--from', '+15550001111', '--body', '302 118 is your Acme code'], { cwd: repo.path, home });
    expect(delivered.exitCode, delivered.stderr).toBe(0);
    expect((await runBuiltCli(['otp'], { cwd: worktree, home })).stdout.trim()).toBe('302118');
    const response = await fetch(smsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: phone, from: '+15550002222', body: 'G-774411 is your code' }) });
    expect(response.status).toBe(201);
    const sms = JSON.parse((await runBuiltCli(['inbox', 'sms', '--json'], { cwd: worktree, home })).stdout) as Array<{ body: string; from_number: string; to_number: string }>;
    expect(sms[0]).toMatchObject({ body: 'G-774411 is your code', to_number: phone });
  });

  it('a message acknowledged with 250 survives kill -9 right after', async () => {
    const worktree = worktrees[6] as string;
    await send((await envOf(worktree)).AGENT_EMAIL as string, 'durable', 'Your code is 909090');
    await daemon.kill9(); // the 250 has been received by the client: nothing may be lost now
    daemon = await startDaemon();
    const run = await runBuiltCli(['otp', '--json'], { cwd: worktree, home });
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, code: '909090' });
  });

  it('an identity deleted from the pool (beyond keepIdle) takes its inbox with it', async () => {
    const worktree = worktrees[9] as string;
    const email = (await envOf(worktree)).AGENT_EMAIL as string;
    await send(email, 'x', 'code 123123');
    const owner = (await readLocalIdentities(join(home, 'state'))).find((i) => i.email === email);
    expect(owner).toBeDefined();
    const inboxDir = join(home, 'state', 'local', 'inbox', owner?.uuid as string);
    expect((await stat(inboxDir)).isDirectory()).toBe(true);
    await repo.removeWorktree(worktree, { force: true });
    await waitFor(async () => stat(inboxDir).then(() => false, () => true), 'the inbox to go with the identity');
    expect(await daemon.stop()).toBe(0);
  });
});
