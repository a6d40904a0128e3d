import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { writeRaviTeamConfig } from '../support/ravi-team-config.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { waitFor } from '../support/daemon-process.js';

const VAULT_SECRET = 'sk_test_mcp_vault_secret_4242';

let server: FakeRaviServer;
let repo: TestRepo;
let home: string;
let worktrees: string[];
const clients = new Set<Client>();
/** Every answer any server gave in this file, checked for secrets at the end. */
const answers: string[] = [];

const uuidOf = async (worktree: string) => (JSON.parse(await readFile(join(worktree, '.ravi', 'config.json'), 'utf8')) as { identity_uuid: string }).identity_uuid;
const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));
const listings = (uuid: string) => server.calls.filter((c) => c.path === '/api/email-messages/' && c.identityScope === uuid).length;

/** The built CLI's `mcp` in `cwd`, spoken to by the SDK's own client over stdio. */
async function connect(cwd: string, envHome = home): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_PATH, 'mcp'], cwd, env: isolatedEnv(envHome), stderr: 'pipe' });
  const client = new Client({ name: 'mcp-e2e', version: '0.0.0' });
  await client.connect(transport);
  clients.add(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}, options: Parameters<Client['callTool']>[2] = {}): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
  answers.push(JSON.stringify(result));
  return result;
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

beforeAll(async () => {
  server = await startFakeRaviServer();
  repo = await createRepo({ name: 'mcp' });
  worktrees = [];
  for (let i = 0; i < 12; i += 1) worktrees.push(await repo.addWorktree(`agent-${i}`));
  home = await createTempDir('ravi-mcp-home-');
  await writeRaviTeamConfig(server, repo.path, home, { secrets: { STRIPE_KEY: VAULT_SECRET }, env: { writeSecrets: true } });
  const reconcile = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
  expect(reconcile.exitCode, reconcile.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await Promise.all([...clients].map((client) => client.close()));
  await server.close();
  await cleanupTempDirs();
});

describe('ravi-orchestrator mcp (Ravi provider, SDK client over stdio)', () => {
  it('lists exactly the four tools, each with input and output schemas', async () => {
    const client = await connect(worktrees[0] as string);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['list_messages', 'wait_for_code', 'wait_for_link', 'whoami']);
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description).toBeTruthy();
    }
    expect(Object.keys(byName.get('wait_for_code')?.inputSchema.properties ?? {}).sort()).toEqual(['channel', 'match', 'since', 'timeout_seconds']);
    expect(Object.keys(byName.get('wait_for_link')?.inputSchema.properties ?? {}).sort()).toEqual(['channel', 'match', 'since', 'timeout_seconds']);
    expect(Object.keys(byName.get('list_messages')?.inputSchema.properties ?? {}).sort()).toEqual(['channel', 'limit']);
    expect(Object.keys(byName.get('wait_for_code')?.outputSchema?.properties ?? {})).toEqual(expect.arrayContaining(['code', 'message_id']));
    expect(client.getInstructions()).toMatch(/whoami/);
  });

  it('whoami answers with this worktree\'s identity and lease start', async () => {
    const worktree = worktrees[3] as string;
    const result = await call(await connect(worktree), 'whoami');
    expect(result.isError).toBeFalsy();
    const me = result.structuredContent as { name: string; email: string; phone: string | null; lease_start: string; worktree: string };
    const env = await envOf(worktree);
    expect(me.email).toBe(env.AGENT_EMAIL);
    expect(me.name).toBe(server.identities().find((i) => i.inbox === me.email)?.name);
    expect(Number.isNaN(Date.parse(me.lease_start))).toBe(false);
    expect(JSON.parse(textOf(result))).toEqual(me);
  });

  it('ten servers in ten worktrees wait at once and each gets only its own code', async () => {
    const ten = worktrees.slice(0, 10);
    const connected = await Promise.all(ten.map((w) => connect(w)));
    const uuids = await Promise.all(ten.map(uuidOf));
    const before = uuids.map(listings);
    const waits = connected.map((client) => call(client, 'wait_for_code', { timeout_seconds: 30 }));
    await waitFor(() => uuids.every((uuid, i) => listings(uuid) > (before[i] as number)), 'every server to look at its inbox');
    const sent = uuids.map((uuid, i) =>
      i % 2 === 0
        ? server.addEmail(uuid, { subject: 'Your Acme code', text_content: `Use ${100000 + i} to sign in. Order #99887766` }).id
        : server.addSms(uuid, { body: `${200000 + i} is your verification code` }).id,
    );
    const results = await Promise.all(waits);
    expect(results.map((r) => r.isError ?? false)).toEqual(ten.map(() => false));
    expect(results.map((r) => (r.structuredContent as { code: string }).code)).toEqual(ten.map((_, i) => String(i % 2 === 0 ? 100000 + i : 200000 + i)));
    expect(results.map((r) => (r.structuredContent as { message_id: string }).message_id)).toEqual(sent.map(String));
    expect(results.map((r) => (r.structuredContent as { channel: string }).channel)).toEqual(ten.map((_, i) => (i % 2 === 0 ? 'email' : 'sms')));
  }, 120_000); // ten Node processes starting at once on a 2-core machine shared with other test files

  it('a wait that times out is a tool error that says what arrived, and the server keeps serving', async () => {
    const worktree = worktrees[10] as string;
    server.addEmail(await uuidOf(worktree), { subject: 'Welcome to Acme', text_content: 'Thanks for joining. Your order #55512 ships soon.' });
    const client = await connect(worktree);
    const result = await call(client, 'wait_for_code', { timeout_seconds: 1, since: 'lease' });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/No verification code arrived for .+ since the lease began .* within 1s/);
    expect(text).toMatch(/1 message\(s\) arrived, none with a code/);
    expect(text).toContain('"Welcome to Acme"');
    expect(text).toMatch(/wait_for_link/);
    const quiet = await call(client, 'wait_for_link', { timeout_seconds: 1, channel: 'sms' });
    expect(quiet.isError).toBe(true);
    expect(textOf(quiet)).toMatch(/\(sms only\)\.\nNo message arrived in that window\.\nTry since: "lease"/);
    expect((await call(client, 'whoami')).isError).toBeFalsy();
  });

  it('a cancelled wait stops polling at once, while another server keeps polling', async () => {
    const [cancelled, control] = [worktrees[10] as string, worktrees[11] as string];
    const [cancelledUuid, controlUuid] = [await uuidOf(cancelled), await uuidOf(control)];
    const [cancelledClient, controlClient] = [await connect(cancelled), await connect(control)];
    const abort = new AbortController();
    const before = listings(cancelledUuid);
    const waiting = call(cancelledClient, 'wait_for_code', { timeout_seconds: 60 }, { signal: abort.signal });
    const controlWait = call(controlClient, 'wait_for_code', { timeout_seconds: 60 });
    await waitFor(() => listings(cancelledUuid) > before && listings(controlUuid) > 0, 'both servers to poll');
    abort.abort();
    await expect(waiting).rejects.toThrow();
    // A request already on the wire may still land: count from one control poll later.
    const controlAtCancel = listings(controlUuid);
    await waitFor(() => listings(controlUuid) > controlAtCancel, 'the control server to poll again');
    const afterCancel = listings(cancelledUuid);
    await waitFor(() => listings(controlUuid) >= controlAtCancel + 3, 'the control server to poll twice more');
    expect(listings(cancelledUuid)).toBe(afterCancel);
    server.addEmail(controlUuid, { subject: 'code', text_content: 'Your verification code is 606060' });
    expect(((await controlWait).structuredContent as { code: string }).code).toBe('606060');
    expect((await call(cancelledClient, 'whoami')).isError).toBeFalsy(); // the cancelled server is still healthy
  });

  it('a long wait sends progress notifications to a client that asked for them', async () => {
    const client = await connect(worktrees[11] as string);
    const progress: Progress[] = [];
    const result = await call(client, 'wait_for_link', { timeout_seconds: 3 }, { onprogress: (p) => progress.push(p) });
    expect(result.isError).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length); // strictly increasing, as the spec requires
    expect(progress.every((p) => p.total === 3)).toBe(true);
    expect(progress.at(-1)?.message).toMatch(/Waiting for a verification link for .+@/);
  });

  it('list_messages shows this lease\'s messages newest first, with their codes and links, up to a limit', async () => {
    const worktree = worktrees[5] as string;
    const uuid = await uuidOf(worktree);
    server.addEmail(uuid, { subject: 'Confirm', html_content: '<a href="https://app.example.com/verify?token=abc123def456ghi789">Verify email</a>', text_content: '', created_dt: new Date(Date.now() + 60_000).toISOString() });
    server.addSms(uuid, { body: 'Acme: 314159 is your code', created_dt: new Date(Date.now() + 120_000).toISOString() });
    const client = await connect(worktree);
    const result = await call(client, 'list_messages', { limit: 2 });
    const listed = result.structuredContent as { total: number; messages: Array<{ channel: string; code: string | null; link: string | null; text: string; to: string }> };
    expect(listed.total).toBe(3); // the SMS from the ten-server test, and these two
    expect(listed.messages.map((m) => m.channel)).toEqual(['sms', 'email']);
    expect(listed.messages[0]).toMatchObject({ code: '314159', link: null });
    expect(listed.messages[1]).toMatchObject({ link: 'https://app.example.com/verify?token=abc123def456ghi789', text: 'Verify email' });
    const sms = await call(client, 'list_messages', { channel: 'sms' });
    expect((sms.structuredContent as { total: number }).total).toBe(2);
    const bad = await call(client, 'list_messages', { limit: 0 });
    expect(bad.isError).toBe(true);
  });

  it('a bad match pattern is a tool error that names it', async () => {
    const result = await call(await connect(worktrees[6] as string), 'wait_for_code', { timeout_seconds: 0, match: '(' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/match is not a valid regular expression/);
  });

  it('in the main worktree every tool says identities belong to linked worktrees', async () => {
    const result = await call(await connect(repo.path), 'whoami');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/main worktree; identities belong to linked worktrees/);
  });

  it('no answer carries a secret: not the vault value, a scoped key or the management key', async () => {
    const keys = await Promise.all(worktrees.map(async (w) => (JSON.parse(await readFile(join(w, '.ravi', 'config.json'), 'utf8')) as { identity_key?: string; api_key?: string })));
    const secrets = [VAULT_SECRET, server.managementKey, ...keys.flatMap((k) => Object.entries(k).filter(([name]) => /key/i.test(name)).map(([, v]) => String(v)))];
    expect(secrets.length).toBeGreaterThan(2);
    expect((await envOf(worktrees[0] as string)).STRIPE_KEY).toBe(VAULT_SECRET); // the secret is really there to leak
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) for (const secret of secrets) expect(answer).not.toContain(secret);
  });
});
