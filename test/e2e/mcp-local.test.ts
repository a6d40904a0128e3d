import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import nodemailer from 'nodemailer';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { waitFor } from '../support/daemon-process.js';

let repo: TestRepo;
let home: string;
let worktrees: string[];
let mailServer: ResultPromise;
let smtpPort: number;
const clients: Client[] = [];
const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));

async function connect(cwd: string): Promise<Client> {
  const client = new Client({ name: 'mcp-local-e2e', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI_PATH, 'mcp'], cwd, env: isolatedEnv(home), stderr: 'pipe' }));
  clients.push(client);
  return client;
}

async function send(to: string, subject: string, text: string, html?: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: 'Acme <no-reply@acme.test>', to, subject, text, html: html ?? `<p>${text}</p>` });
  } finally {
    transport.close();
  }
}

beforeAll(async () => {
  repo = await createRepo({ name: 'offline-mcp' });
  worktrees = [await repo.addWorktree('signup-a'), await repo.addWorktree('signup-b')];
  home = await createTempDir('ravi-mcp-local-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort: 0, smsPort: 0 } }));
  expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
  let out = '';
  mailServer = execa(process.execPath, [CLI_PATH, 'mail', 'serve'], { cwd: repo.path, env: isolatedEnv(home), extendEnv: false, reject: false });
  mailServer.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  smtpPort = Number(await waitFor(() => /SMTP on [^:]+:(\d+)/.exec(out)?.[1], 'mail serve to listen'));
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  mailServer.kill('SIGTERM');
  await mailServer;
  await cleanupTempDirs();
});

describe('ravi-orchestrator mcp on the local provider (mail through the local SMTP server)', () => {
  it('wait_for_code and wait_for_link each get their own worktree\'s mail', async () => {
    const [a, b] = [await connect(worktrees[0] as string), await connect(worktrees[1] as string)];
    const [emailA, emailB] = [(await envOf(worktrees[0] as string)).AGENT_EMAIL as string, (await envOf(worktrees[1] as string)).AGENT_EMAIL as string];
    expect(((await a.callTool({ name: 'whoami' })).structuredContent as { email: string }).email).toBe(emailA);
    const code = a.callTool({ name: 'wait_for_code', arguments: { timeout_seconds: 30, match: 'acme code' } }) as Promise<CallToolResult>;
    const link = b.callTool({ name: 'wait_for_link', arguments: { timeout_seconds: 30 } }) as Promise<CallToolResult>;
    await send(emailB, 'Confirm your Acme account', 'Confirm: https://acme.test/verify?token=9f8e7d6c5b4a39281706', '<a href="https://acme.test/verify?token=9f8e7d6c5b4a39281706">Confirm your email</a>');
    await send(emailA, 'Your Globex code', 'Your Globex code is 111 222.'); // from the same sender, but not what `match: acme code` waits for
    await send(emailA, 'Your Acme code', 'Your Acme code is 481 516.');
    expect((await code).structuredContent).toMatchObject({ code: '481516', channel: 'email', from: 'no-reply@acme.test' });
    expect((await link).structuredContent).toMatchObject({ link: 'https://acme.test/verify?token=9f8e7d6c5b4a39281706' });
    const listed = (await a.callTool({ name: 'list_messages' })).structuredContent as { messages: Array<{ to: string; code: string | null }> };
    expect(listed.messages.map((m) => m.code)).toEqual(['481516', '111222']);
    expect(listed.messages.every((m) => m.to === emailA)).toBe(true);
  });

  it('each code handed out is recorded in the audit trail (the message, never the code)', async () => {
    const history = await runBuiltCli(['history', '--json'], { cwd: repo.path, home });
    const events = JSON.parse(history.stdout) as Array<{ type: string; detail: Record<string, unknown> }>;
    const handed = events.filter((e) => e.type === 'code.handed' || e.type === 'link.handed');
    expect(handed.map((e) => e.type).sort()).toEqual(['code.handed', 'link.handed']);
    expect(handed.every((e) => e.detail.via === 'mcp')).toBe(true);
    expect(history.stdout).not.toContain('481516');
    expect(history.stdout).not.toContain('9f8e7d6c5b4a39281706');
  });
});
