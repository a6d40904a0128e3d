// The fake Ravi API of the tests (test/support/fake-ravi-server.ts, compiled to bench/.build/ by
// `tsc -p bench/tsconfig.json`), run in its own process so that the benchmark's timing loops never delay
// its answers. Started by bench/lib.mjs with fork(); talks over the IPC channel:
//   -> {ready: true, url, managementKey, vaultUuid}           once listening (127.0.0.1, random port)
//   <- {id, op: 'stats'}            -> {total, get, mutating, byRoute: {"GET /api/identities/": n, ...}}
//   <- {id, op: 'reset'}            -> forget the recorded calls
//   <- {id, op: 'calls'}            -> [{method, path, startedAt, endedAt}] (monotonic ms, bench/call-timeline.mjs)
//   <- {id, op: 'identities'}       -> [{uuid, name, inbox}]
//   <- {id, op: 'latency', ms}      -> every later call waits ms (set up at 0, measure at the configured latency)
//   <- {id, op: 'has', uuid}        -> boolean
//   <- {id, op: 'close'}            -> closes and exits
// Options come from argv: --latency MS. A vault identity "team-vault" holding OPENAI_API_KEY is made at start.
import { startFakeRaviServer } from './.build/fake-ravi-server.js';

const latencyArg = process.argv.indexOf('--latency');
const latencyMs = latencyArg > 0 ? Number(process.argv[latencyArg + 1]) : 80;
if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`bad --latency ${process.argv[latencyArg + 1]}`);
if (typeof process.send !== 'function') throw new Error('fake-ravi-process.mjs must be started with fork() (it answers over IPC)');

const server = await startFakeRaviServer({ latencyMs });
const vault = server.addIdentity({ name: 'team-vault' });
server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-bench-0123456789abcdef');

/** `/api/identities/<uuid>/` -> `/api/identities/:id/`, so counts group by endpoint. */
function route(call) {
  const path = call.path.replace(/^(\/api\/[a-z-]+\/)[^/]+\/$/, '$1:id/');
  return `${call.method} ${path}`;
}

function stats() {
  const byRoute = {};
  for (const call of server.calls) byRoute[route(call)] = (byRoute[route(call)] ?? 0) + 1;
  const mutating = server.mutatingCalls();
  return { total: server.calls.length, get: server.calls.filter((c) => c.method === 'GET').length, mutating, byRoute };
}

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await server.close().catch(() => {});
  process.exit(0);
}

process.on('message', (message) => {
  const { id, op } = message ?? {};
  let result = null;
  if (op === 'stats') result = stats();
  else if (op === 'reset') server.resetCalls();
  else if (op === 'calls') result = server.calls.map((c) => ({ method: c.method, path: c.path, startedAt: c.startedAt, endedAt: c.endedAt }));
  else if (op === 'identities') result = server.identities().map((i) => ({ uuid: i.uuid, name: i.name, inbox: i.inbox }));
  else if (op === 'has') result = server.identities().some((i) => i.uuid === message.uuid);
  else if (op === 'latency') server.latencyMs = message.ms;
  else if (op === 'close') return void close();
  process.send({ id, result });
});
// The parent went away (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => void close());
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());

process.send({ ready: true, url: server.url, managementKey: server.managementKey, vaultUuid: vault.uuid });
