/**
 * A nearly full disk (issue 13, finding 1): on a small tmpfs filled to several levels, every write either lands
 * whole or fails loudly (the file and ENOSPC named, exit 1), the old bytes stay exactly as they were, and no temp
 * file is left behind. Once there is room again, the next pass completes. Covered: the helper itself, the
 * worktree's file system (.env, info/exclude) and the state dir's (ledger, the local provider's files, backups).
 *
 * Mounting needs root or passwordless sudo. Without either the suite says why it does not run; under CI (which
 * runs as root) that is a failure, not a skip.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { Ledger } from '../../src/files/ledger.js';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { runBuiltCli } from '../support/cli.js';
import { AtomicWriteError, writeFileAtomically } from '../../src/files/atomic-write.js';
import { ensureExcluded } from '../../src/git/ignore.js';
import { backupOnce } from '../../src/reconcile/apply-env.js';
import { readLocalIdentities } from '../support/local-identities.js';

const PAGE = 4096; // tmpfs counts space in pages: a level rounds down to whole pages

/** How mount is run here, or why it cannot be: decided once by mounting a probe tmpfs. */
const mounting = await probeMount();
const mounts: string[] = [];

afterAll(async () => {
  // Unmount first, even after a failed test: a mounted folder cannot be removed.
  for (const dir of mounts.splice(0)) await asRoot(['umount', dir]).catch(() => {});
  await cleanupTempDirs();
});

async function probeMount(): Promise<{ sudo: boolean } | { reason: string }> {
  const root = process.getuid?.() === 0;
  const sudo = !root && (await execa('sudo', ['-n', 'true'], { reject: false })).exitCode === 0;
  if (!root && !sudo) return { reason: 'needs root or passwordless sudo to mount a tmpfs' };
  const dir = await createTempDir('ravi-mount-probe-');
  try {
    await run(sudo, ['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  } catch (error) {
    return { reason: `mount -t tmpfs failed here: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}` };
  } finally {
    // Removed here, not only by afterAll: a run that filters this file's tests out (-t) runs no afterAll.
    await run(sudo, ['umount', dir]).catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
  return { sudo };
}

async function run(sudo: boolean, argv: readonly string[]): Promise<void> {
  await (sudo ? execa('sudo', ['-n', ...argv]) : execa(argv[0]!, argv.slice(1)));
}

const asRoot = (argv: readonly string[]) => run('sudo' in mounting && mounting.sudo, argv);

/** A fresh tmpfs of `size` bytes, owned by us, unmounted in afterAll. */
async function tmpfs(size: number): Promise<string> {
  const dir = await createTempDir('ravi-tmpfs-');
  const owner = `uid=${process.getuid?.() ?? 0},gid=${process.getgid?.() ?? 0}`;
  await asRoot(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0700,${owner}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Fills the file system of `dir` until at most `leave` bytes are free; returns what is free then. */
async function fill(dir: string, leave: number): Promise<number> {
  const free = await freeBytes(dir);
  if (free > leave) await writeFile(join(dir, 'filler'), Buffer.alloc(free - leave));
  return freeBytes(dir);
}

const unfill = (dir: string) => rm(join(dir, 'filler'), { force: true });

/** The levels asked for: nothing, 1 KB, 4 KB, 6 KB, one byte short of the file to write. */
const levels = (fileSize: number) => [0, 1024, 4096, 6144, fileSize - 1];

/** Every file under `dir` (relative path -> bytes), skipping the filler. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'filler') continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length + 1), await readFile(path));
  }
  return files;
}

function isJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const tempFilesIn = async (dir: string) => [...(await snapshot(dir)).keys()].filter((p) => p.endsWith('.ravi-tmp'));

const canRun = !('reason' in mounting);
const why = 'reason' in mounting ? ` (not run: ${mounting.reason})` : '';

describe.runIf(!canRun && process.env.CI)('full disk under CI', () => {
  it('must be able to mount a tmpfs (CI runs as root)', () => {
    throw new Error(`the full-disk tests did not run: ${'reason' in mounting ? mounting.reason : ''}`);
  });
});

describe.runIf(canRun)(`a nearly full disk${why}`, () => {
  it('writeFileAtomically: whole or ENOSPC, the old bytes intact, no temp file, at every level', async () => {
    const disk = await tmpfs(128 * 1024);
    const file = join(disk, '.env');
    const old = Buffer.from(`${'USER=old-value-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(140)}`); // 8.5 KB
    const next = Buffer.concat([old, Buffer.from('ADDED=1\n')]);
    await writeFileAtomically(file, old);
    for (const leave of levels(next.length)) {
      const free = await fill(disk, leave);
      expect(free).toBeLessThan(next.length);
      const error = await writeFileAtomically(file, next).catch((e: unknown) => e);
      expect(error, `with ${free} bytes free`).toBeInstanceOf(AtomicWriteError);
      expect((error as AtomicWriteError).code).toBe('ENOSPC');
      expect((error as Error).message).toBe(`Could not write ${file}: no space left on device (ENOSPC); it was left as it was`);
      expect((await readFile(file)).equals(old), `old bytes with ${free} free`).toBe(true);
      expect((await readdir(disk)).sort()).toEqual(['.env', 'filler']);
      await unfill(disk);
    }
    await writeFileAtomically(file, next);
    expect((await readFile(file)).equals(next)).toBe(true);
  });

  it('info/exclude: an append that does not fit is cut back off (a cut line could be a pattern such as `*`)', async () => {
    const disk = await tmpfs(64 * 1024);
    const commonDir = join(disk, 'repo.git');
    await mkdir(join(commonDir, 'info'), { recursive: true });
    const exclude = join(commonDir, 'info', 'exclude');
    const before = Buffer.from(`# ${'x'.repeat(PAGE - 12)}\n/.env\n`); // ends 4 bytes short of a page: the append starts inside it
    await writeFile(exclude, before);
    await fill(disk, 0);
    const error = await ensureExcluded(commonDir, ['*.ravi-tmp', '/.ravi/']).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ENOSPC');
    expect((error as Error).message).toContain(exclude);
    expect((await readFile(exclude)).equals(before)).toBe(true);
    await unfill(disk);
    expect(await ensureExcluded(commonDir, ['*.ravi-tmp', '/.ravi/'])).toBe(true);
    expect((await readFile(exclude, 'utf8')).endsWith('# added by ravi-orchestrator\n*.ravi-tmp\n/.ravi/\n')).toBe(true);
  });

  it('the backup of a .env: never a cut-off backup that would then count as the first one', async () => {
    const disk = await tmpfs(64 * 1024);
    const original = Buffer.from(`AGENT_EMAIL=legacy\n${'# user line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(100)}`);
    await fill(disk, PAGE); // room for the small .source file, not for the backup
    await expect(backupOnce(disk, '/w/.env', original)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect((await snapshot(join(disk))).size).toBeLessThanOrEqual(1); // at most the .source file
    expect(await tempFilesIn(disk)).toEqual([]);
    await unfill(disk);
    const backup = await backupOnce(disk, '/w/.env', original);
    expect((await readFile(backup)).equals(original)).toBe(true);
  });

  it('reconcile with the worktree on a full disk: exit 1 naming the .env and ENOSPC, the .env as it was', async () => {
    const disk = await tmpfs(256 * 1024);
    const repo = await createRepo({ name: 'full' });
    const home = await createTempDir('ravi-full-home-');
    const wt = await repo.addWorktree('wt', { path: join(disk, 'wt') });
    const configure = (vars: Record<string, string>) => writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { vars } }));
    await configure({ AGENT_EMAIL: '{email}' });
    expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
    const user = `${'USER_LINE=keep-me-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(130)}`;
    await writeFile(join(wt, '.env'), user + (await readFile(join(wt, '.env'), 'utf8'))); // 8.5 KB
    const before = await readFile(join(wt, '.env'));
    await configure({ AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' });

    // One row per level, compared at the end, so a failure shows what happened at every level.
    const expected = `Could not write ${join(wt, '.env')}: no space left on device (ENOSPC); it was left as it was`;
    const outcomes = [];
    for (const leave of levels(before.length + "AGENT_BRANCH='wt'\n".length)) {
      const free = await fill(disk, leave);
      const run = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
      outcomes.push({
        free,
        envBytes: (await readFile(join(wt, '.env'))).equals(before) ? 'as before' : `changed to ${(await readFile(join(wt, '.env'))).length} bytes`,
        exitCode: run.exitCode,
        said: (run.stdout + run.stderr).includes(expected) ? 'the file and ENOSPC' : run.stdout + run.stderr,
        leftovers: [...(await tempFilesIn(disk)), ...(await repo.git('-C', wt, 'status', '--porcelain', '--untracked-files=all')).split('\n').filter(Boolean)],
      });
      await unfill(disk);
    }
    expect(outcomes).toEqual(outcomes.map(({ free }) => ({ free, envBytes: 'as before', exitCode: 1, said: 'the file and ENOSPC', leftovers: [] })));
    const done = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    const env = await readFile(join(wt, '.env'), 'utf8');
    expect(env.startsWith(user)).toBe(true);
    expect(parse(env)).toMatchObject({ AGENT_BRANCH: 'wt' });
  }, 300_000);

  it('reconcile with the state dir on a full disk: exit 1 naming the file and ENOSPC, every state file whole', async () => {
    const disk = await tmpfs(512 * 1024);
    const repo = await createRepo({ name: 'state' });
    const home = await createTempDir('ravi-full-state-');
    const stateDir = join(disk, 'state');
    const env = { RAVI_ORCHESTRATOR_STATE_DIR: stateDir };
    for (let i = 0; i < 18; i += 1) await repo.addWorktree(`wt-${i}`);
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { vars: { AGENT_EMAIL: '{email}' } } }));
    expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home, env })).exitCode).toBe(0);
    const fresh = await repo.addWorktree('fresh'); // the next pass creates an identity: ledger and local store change
    const before = await snapshot(stateDir);
    const ledgerSize = Math.max(...[...before].filter(([p]) => p.startsWith('ledger/')).map(([, b]) => b.length));
    expect(ledgerSize).toBeGreaterThan(2 * PAGE);

    const named = new RegExp(`Could not write ${stateDir}/\\S+: no space left on device \\(ENOSPC\\); it was left as it was`);
    const outcomes = [];
    for (const leave of levels(ledgerSize)) {
      const free = await fill(disk, leave);
      const run = await runBuiltCli(['reconcile'], { cwd: repo.path, home, env });
      const after = await snapshot(stateDir);
      // A pass either lands whole (exit 0) or fails loudly naming the file and ENOSPC, with the ledger snapshot and
      // the local provider's files as they were. The ledger's journal may hold more whole operations (the
      // write-ahead intents that did land); it never holds half of one, and the ledger still opens.
      const failed = run.exitCode !== 0;
      const changed = [...after].filter(([path, bytes]) => failed && /^(ledger|local)\//.test(path) && !/\.journal-\d+$/.test(path) && !bytes.equals(before.get(path) ?? Buffer.alloc(0)));
      const unreadable = [...after].filter(([path, bytes]) => path.endsWith('.json') && !isJson(bytes));
      const tornJournals = [...after].filter(([path, bytes]) => /\.journal-\d+$/.test(path) && bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a);
      const ledgerOpens = await Ledger.open(stateDir, 'local').then(() => true, (error: Error) => error.message);
      outcomes.push({
        free,
        changed: changed.map(([path, bytes]) => `${path}: ${bytes.length} bytes`),
        unreadable: unreadable.map(([path]) => path),
        tornJournals: tornJournals.map(([path]) => path),
        ledgerOpens,
        outcome: !failed ? 'landed whole' : named.test(run.stdout + run.stderr) ? 'a state file and ENOSPC' : run.stdout + run.stderr,
        leftovers: await tempFilesIn(disk),
      });
      await unfill(disk);
    }
    expect(outcomes.filter((o) => o.outcome !== 'landed whole').length).toBeGreaterThan(0); // the disk really was too full
    expect(outcomes).toEqual(outcomes.map(({ free, outcome }) => ({ free, changed: [], unreadable: [], tornJournals: [], ledgerOpens: true, outcome: outcome === 'landed whole' ? outcome : 'a state file and ENOSPC', leftovers: [] })));
    const done = await runBuiltCli(['reconcile'], { cwd: repo.path, home, env });
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    const identities = { identities: await readLocalIdentities(stateDir) };
    expect(identities.identities).toHaveLength(19); // one per worktree: nothing duplicated by the failed passes
    expect(parse(await readFile(join(fresh, '.env'))).AGENT_EMAIL).toMatch(/@/);
  }, 300_000);
});
