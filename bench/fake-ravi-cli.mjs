#!/usr/bin/env node
// A `ravi`-like CLI for the setup.sh baseline: every invocation is one process doing exactly ONE HTTP call
// to the (fake) Ravi API, as the real Go CLI does for these commands, and prints one value on stdout.
//
//   ravi identity create --name NAME        POST /api/identities/ {name, provision_phone: true}   -> uuid
//   ravi identity use UUID                  (no call) the machine's current identity := UUID      -> nothing
//   ravi get email [--identity UUID]        GET  /api/identities/UUID/                           -> inbox
//   ravi get phone [--identity UUID]        GET  /api/identities/UUID/                           -> phone
//   ravi secrets get KEY --identity UUID    GET  /api/secrets/?identity=UUID&key=KEY              -> value
//
// The API base comes from $RAVI_API_URL (loopback only) and the management key from ~/.ravi/config.json
// (`management_key`), the file `ravi auth login` writes. Exit 1 with a message on any failure.
// Without --identity, `get` acts as the machine's ONE current identity (`identity_uuid` in that same file, set by
// `identity use`), as the stock CLI does (/work/shared/RAVI-CONTRACT.md, "Credentials and the current identity"):
// setup scripts run side by side then read each other's identity, which the benchmark counts.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function fail(message) {
  process.stderr.write(`ravi: ${message}\n`);
  process.exit(1);
}

function flag(args, name) {
  const at = args.indexOf(name);
  if (at < 0 || at + 1 >= args.length) fail(`missing ${name}`);
  return args[at + 1];
}

const base = process.env.RAVI_API_URL ?? fail('RAVI_API_URL is not set');
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) fail(`RAVI_API_URL must be a loopback URL (http://127.0.0.1:PORT), got ${base}`);
const configFile = join(homedir(), '.ravi', 'config.json');
let config;
try {
  config = JSON.parse(readFileSync(configFile, 'utf8'));
} catch (error) {
  fail(`cannot read ~/.ravi/config.json: ${error.message}`);
}

async function call(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${config.management_key}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) fail(`${method} ${path} -> HTTP ${response.status}: ${text.slice(0, 200)}`);
  return text === '' ? null : JSON.parse(text);
}

const args = process.argv.slice(2);
const [group, verb] = args;
const out = (value) => process.stdout.write(`${value ?? ''}\n`);

if (group === 'identity' && verb === 'create') {
  const created = await call('POST', '/api/identities/', { name: flag(args, '--name'), provision_phone: true });
  out(created.uuid);
} else if (group === 'identity' && verb === 'use' && args[2] !== undefined) {
  // Written whole through a rename, so a concurrent reader sees the old or the new file, never half of one.
  writeFileSync(`${configFile}.${process.pid}`, JSON.stringify({ ...config, identity_uuid: args[2] }), { mode: 0o600 });
  renameSync(`${configFile}.${process.pid}`, configFile);
} else if (group === 'get' && (verb === 'email' || verb === 'phone')) {
  const uuid = args.includes('--identity') ? flag(args, '--identity') : config.identity_uuid ?? fail('no current identity: run `ravi identity use UUID`');
  const identity = await call('GET', `/api/identities/${encodeURIComponent(uuid)}/`);
  out(verb === 'email' ? identity.inbox : identity.phone);
} else if (group === 'secrets' && verb === 'get' && args[2] !== undefined) {
  const query = new URLSearchParams({ identity: flag(args, '--identity'), key: args[2] });
  const page = await call('GET', `/api/secrets/?${query}`);
  const found = (Array.isArray(page) ? page : page.results)[0];
  if (found === undefined) fail(`no secret ${args[2]}`);
  out(found.value);
} else if (group === 'noop') {
  // Startup cost only (no HTTP call): measured by the benchmark to separate spawn cost from latency.
} else {
  fail(`unknown command: ${args.join(' ')}`);
}
