// Issue 16 goals 4-5: cold provisioning. 4: N = 30 on the fake Ravi API against the API floor at the configured
// concurrency, the seed's setup.sh loop (serial, and 4-wide with its collisions counted) and the lease path;
// 5: the cold pass at scale (local provider) against the durable-file floor, per worktree, at two or more sizes,
// and the no-op pass at the same sizes against bare Node reading the env files.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GIT_ENV, SETUP_SH, git, gitEnv, interleaved, removeTempDir, run, startFakeRavi, summarize } from './lib.mjs';
import { createScenario, freshStart, log, orchestratorOk, useServer, verifyEnvFiles } from './scenario.mjs';
import { ratioRow, ms, spread } from './report.mjs';

const CONCURRENCY = 4; // the configured default (src/config/normalize.ts)

export async function coldProvisioning(opts) {
  const n = opts.coldN;
  const L = opts.latencyMs;
  // The issue's floor: one listing and the vault (side by side), then a create and a key per worktree, CONCURRENCY
  // at a time. A create's answer may carry the identity's key (RAVI-CONTRACT.md), and then no key call is needed:
  // the verdict uses the floor of the calls the pass made (callFloor), the issue's is shown beside it.
  const issueCreateFloor = (1 + Math.ceil(n / CONCURRENCY) * 2) * L;
  // The lease path: the listing and the vault, then a key per worktree.
  const issueLeaseFloor = (1 + Math.ceil(n / CONCURRENCY)) * L;
  const raw = { n, issueCreateFloor, issueLeaseFloor, create: [], lease: [], serial: [], wide: [] };
  for (let r = 0; r < opts.runs; r++) {
    raw.create.push(await orchestratorCreate(n, L));
    raw.lease.push(await orchestratorLease(n, L));
    log(`cold N=${n} run ${r + 1}/${opts.runs}: create ${ms(raw.create.at(-1).ms)}, lease ${ms(raw.lease.at(-1).ms)}`);
    if (r < opts.seedRuns) {
      raw.serial.push(await seedLoop(n, L, 1));
      raw.wide.push(await seedLoop(n, L, 4));
      log(`  setup.sh serial ${ms(raw.serial.at(-1).ms)}; 4-wide ${ms(raw.wide.at(-1).ms)}, ${raw.wide.at(-1).collisions} collisions, ${raw.wide.at(-1).failed} failed`);
    }
  }
  const med = (list) => summarize(list.map((x) => x.ms));
  Object.assign(raw, { createStats: med(raw.create), leaseStats: med(raw.lease), serialStats: med(raw.serial), wideStats: med(raw.wide) });
  const create = raw.createStats.median;
  const createFloor = callFloor(raw.create.at(-1).calls, L);
  const leaseFloor = callFloor(raw.lease.at(-1).calls, L);
  Object.assign(raw, { createFloor, leaseFloor });
  const wide = raw.wide.at(-1);
  const rows = [
    ratioRow('4', `cold provisioning N = ${n}, create path, vs API floor at concurrency ${CONCURRENCY}`, create / createFloor, 1.5,
      `${ms(create)} ${spread(raw.createStats, 'runs')} vs ${ms(createFloor)}: ${floorText(raw.create.at(-1).calls)}; ${(create / issueCreateFloor).toFixed(2)}x the issue's ${ms(issueCreateFloor)}, a create and a key per worktree`),
    ratioRow('4', `cold provisioning N = ${n}: serial setup.sh loop ÷ ours`, raw.serialStats.median / create, Infinity, `${ms(raw.serialStats.median)} vs ${ms(create)}`, '≥ 5x'),
    ratioRow('4', `cold provisioning N = ${n}, lease path (N idle identities), vs its API floor`, raw.leaseStats.median / leaseFloor, 1.5,
      `${ms(raw.leaseStats.median)} ${spread(raw.leaseStats, 'runs')} vs ${ms(leaseFloor)}: ${floorText(raw.lease.at(-1).calls)} (the issue's floor too)`),
  ];
  rows[1].met = raw.serialStats.median / create >= 5;
  raw.sideBySide = `setup.sh 4-wide: ${ms(raw.wideStats.median)} (${(raw.wideStats.median / create).toFixed(1)}x ours), ${wide.collisions} of ${n} worktrees got another agent's email, ${wide.failed} failed`;
  return { rows, raw };
}

const CREATE_ROUTE = 'POST /api/identities/';
const KEY_ROUTE = 'POST /api/auth/keys/identity/';

/** The API floor of the calls a pass made: the listing and the vault side by side, then its creates, then its keys, CONCURRENCY at a time. */
function callFloor(byRoute, latencyMs) {
  return (1 + Math.ceil((byRoute[CREATE_ROUTE] ?? 0) / CONCURRENCY) + Math.ceil((byRoute[KEY_ROUTE] ?? 0) / CONCURRENCY)) * latencyMs;
}

function floorText(byRoute) {
  return `floor: 1 + ${byRoute[CREATE_ROUTE] ?? 0} creates and ${byRoute[KEY_ROUTE] ?? 0} keys at ${CONCURRENCY} a time`;
}

/** One `reconcile` creating N identities on a fresh server. */
async function orchestratorCreate(n, latencyMs) {
  const sc = await createScenario(n, 'cold-create');
  const server = await startFakeRavi(latencyMs);
  try {
    await useServer(sc, server);
    const result = await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 });
    await verifyEnvFiles(sc.fixture.worktrees);
    const calls = await server.stats();
    if ((calls.byRoute['POST /api/identities/'] ?? 0) !== n) throw new Error(`cold reconcile created ${calls.byRoute['POST /api/identities/']} identities for ${n} worktrees`);
    return { ms: result.ms, calls: calls.byRoute };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}

/** N worktrees gone (leases ended), N new ones: one `reconcile` leasing the N idle identities (quarantine 0). */
async function orchestratorLease(n, latencyMs) {
  const sc = await createScenario(n, 'cold-lease');
  const server = await startFakeRavi(0);
  try {
    await useServer(sc, server, { quarantine: 0 });
    await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 });
    for (const worktree of sc.fixture.worktrees) await git(sc.fixture.repo, 'worktree', 'remove', '--force', worktree);
    await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 }); // ends the N leases
    const fresh = [];
    for (let i = 1; i <= n; i++) {
      fresh.push(join(sc.root, 'app-worktrees', `lease-${i}`));
      await git(sc.fixture.repo, 'worktree', 'add', '--quiet', '-b', `lease-${i}`, fresh.at(-1), 'HEAD');
    }
    await server.setLatency(latencyMs);
    await server.reset();
    const result = await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 });
    await verifyEnvFiles(fresh);
    const calls = await server.stats();
    if ((calls.byRoute['POST /api/identities/'] ?? 0) !== 0) throw new Error(`the lease pass created ${calls.byRoute['POST /api/identities/']} identities`);
    return { ms: result.ms, calls: calls.byRoute };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}

/** bench/setup.sh in each worktree, `width` at a time (xargs -P); counts worktrees whose .env holds another agent's email. */
async function seedLoop(n, latencyMs, width) {
  const sc = await createScenario(n, `seed-${width}`);
  const server = await startFakeRavi(latencyMs);
  try {
    await useServer(sc, server);
    const list = join(sc.root, 'worktrees.txt');
    await writeFile(list, sc.fixture.worktrees.map((w) => `${w}\n`).join(''));
    const loop = `xargs -d '\\n' -P ${width} -I{} bash -c 'cd "$1" && bash "$SETUP_SH"' _ {} < "$WORKTREE_LIST"`;
    const result = await run('bash', ['-c', loop], {
      cwd: sc.root, timeoutMs: 3_600_000,
      env: { ...gitEnv({ HOME: sc.home }), PATH: `${sc.bin}:${process.env.PATH}`, RAVI_API_URL: server.url, RAVI_VAULT: server.vaultUuid, SETUP_SH, WORKTREE_LIST: list },
    });
    if (width === 1 && result.code !== 0) throw new Error(`setup.sh loop exited ${result.code}:\n${result.stderr.slice(-2000)}`);
    const inbox = new Map((await server.identities()).map((i) => [i.uuid, i.inbox]));
    let collisions = 0;
    let failed = 0;
    for (const worktree of sc.fixture.worktrees) {
      const text = await readFile(join(worktree, '.env'), 'utf8').catch(() => '');
      const uuid = /^RAVI_IDENTITY_UUID=(.+)$/m.exec(text)?.[1];
      const email = /^AGENT_EMAIL=(.+)$/m.exec(text)?.[1];
      if (!uuid || !email) failed++;
      else if (inbox.get(uuid) !== email) collisions++;
    }
    if (width === 1 && (collisions > 0 || failed > 0)) throw new Error(`the serial setup.sh loop left ${collisions} collisions and ${failed} failures`);
    return { ms: result.ms, collisions, failed, exit: result.code };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}

/** Goal 5: the cold pass (local provider; the `durationMs` the CLI reports, whole process beside it) vs the durable-file floor. */
export async function coldAtScale(opts) {
  const raw = [];
  for (const n of opts.scaleSizes) {
    const sc = await createScenario(n, `scale${n}`);
    try {
      await useServer(sc, null);
      const runs = n > 500 ? 1 : opts.runs;
      const floor = [];
      const pass = [];
      const wall = [];
      for (let r = 0; r < runs; r++) {
        // The floor right before and right after each pass, so that a change in the machine's load during the run
        // (other processes' fsyncs share the disk) weighs on both sides alike.
        const before = durableFloor(sc.fixture.worktrees);
        await freshStart(sc);
        const result = await orchestratorOk(sc, ['reconcile', '--json'], { timeoutMs: 3_600_000 });
        pass.push(JSON.parse(result.stdout).durationMs);
        wall.push(result.ms);
        floor.push((before + durableFloor(sc.fixture.worktrees)) / 2);
        log(`cold pass N=${n} run ${r + 1}/${runs}: pass ${ms(pass.at(-1))} (process ${ms(wall.at(-1))}) vs durable-file floor ${ms(floor.at(-1))} (before and after: ${ms(before)}, ${ms(2 * floor.at(-1) - before)})`);
      }
      await verifyEnvFiles(sc.fixture.worktrees, { secrets: false });
      const noop = await noopAtScale(sc, opts);
      log(`no-op N=${n} (local): ${ms(noop.noop.median)} vs bare Node reading the env files ${ms(noop.floor.median)}`);
      raw.push({ n, runs, floor: summarize(floor), pass: summarize(pass), wall: summarize(wall), noop });
    } finally {
      await removeTempDir(sc.root);
    }
  }
  const rows = raw.map((s) => ratioRow('5', `cold pass N = ${s.n} (local provider) vs durable-file floor`, s.pass.median / s.floor.median, 3,
    `pass ${ms(s.pass.median)}, ${(s.pass.median / s.n).toFixed(1)} ms/worktree, vs ${ms(s.floor.median)}; whole process ${ms(s.wall.median)}`));
  for (const s of raw) {
    rows.push(ratioRow('5', `no-op \`reconcile\` N = ${s.n} (local provider) vs bare Node reading the env files`, s.noop.noop.median / s.noop.floor.median, 3,
      `${ms(s.noop.noop.median)} vs ${ms(s.noop.floor.median)} (\`node -e 0\` ${ms(s.noop.node.median)}; \`git worktree list\` alone ${ms(s.noop.gitList.median)})`));
  }
  if (raw.length > 1) {
    const [a, b] = [raw[0], raw.at(-1)];
    const growth = (b.pass.median / b.n) / (a.pass.median / a.n);
    rows.push(ratioRow('5', `cold pass per worktree flat: N = ${b.n} ÷ N = ${a.n}`, growth, 1.5, `${(b.pass.median / b.n).toFixed(1)} vs ${(a.pass.median / a.n).toFixed(1)} ms per worktree`, '≤ 1.5 (roughly flat)'));
  }
  return { rows, raw };
}

/**
 * The issue's second floor at scale: a no-op pass (whole process, local provider, the worktrees just provisioned)
 * against bare Node's start plus reading the N env files (one process that reads them whole), and `node -e 0`; beside
 * them `git worktree list --porcelain`, for scale: listing is work a pass does that this floor leaves out.
 */
async function noopAtScale(sc, opts) {
  const envFiles = sc.fixture.worktrees.map((w) => join(w, '.env'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...GIT_ENV }; // no NODE_EXTRA_CA_CERTS (goals-cli.mjs says why)
  const readAll = "const { readFileSync } = require('node:fs'); for (const file of process.argv.slice(1)) readFileSync(file);";
  await orchestratorOk(sc, ['reconcile']); // settle: the first pass after a cold one may still tidy up
  return interleaved(opts.noopRuns, {
    noop: () => orchestratorOk(sc, ['reconcile']),
    floor: () => run(process.execPath, ['-e', readAll, ...envFiles], { env }),
    node: () => run(process.execPath, ['-e', '0'], { env }),
    // Not part of the floor: what listing the worktrees costs git itself, which the floor leaves out and a pass must do.
    gitList: () => run('git', ['worktree', 'list', '--porcelain'], { cwd: sc.fixture.repo, env }),
  });
}

/** Writing one small file durably per worktree: temp file, fsync, rename, fsync of the folder. Synchronous: the bare cost. */
function durableFloor(folders) {
  const body = Buffer.alloc(550, 'x'); // about a ledger record
  const started = performance.now();
  for (const folder of folders) {
    const temp = join(folder, '.bench-floor.tmp');
    const fd = openSync(temp, 'w', 0o600);
    writeSync(fd, body);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, join(folder, '.bench-floor'));
    const dir = openSync(folder, 'r');
    fsyncSync(dir);
    closeSync(dir);
  }
  const elapsed = performance.now() - started;
  for (const folder of folders) rmSync(join(folder, '.bench-floor'), { force: true });
  return elapsed;
}
