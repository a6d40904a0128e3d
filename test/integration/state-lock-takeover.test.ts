/**
 * The state lock of a holder killed with SIGKILL is taken over at once, not after proper-lockfile's 10 s staleness,
 * and only when the holder is provably dead (src/files/lock-holder.ts): a live holder keeps it, a record that cannot
 * be judged (another machine's, say) is left to staleness, and waiters racing for a dead holder's lock take it one
 * at a time. Real processes hold the lock (the built dist/), real folders, real signals.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { acquireStateLock, LockTimeoutError } from '../../src/files/state-lock.js';
import { currentHolder, HOLDER_FILE, type LockHolder } from '../../src/files/lock-holder.js';

afterAll(cleanupTempDirs);

const STATE_LOCK_MODULE = pathToFileURL(resolve('dist/files/state-lock.js')).href;
const children: ResultPromise[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A process that takes the lock, says so, then (`holdMs` null) holds it until killed, or holds it and releases it. */
function holder(stateDir: string, options: { holdMs?: number | null; log?: string } = {}): { child: ResultPromise; holding: Promise<void> } {
  const script = `
    const { appendFileSync } = await import('node:fs');
    const { acquireStateLock } = await import(${JSON.stringify(STATE_LOCK_MODULE)});
    const lock = await acquireStateLock(${JSON.stringify(stateDir)}, { waitMs: 60_000 });
    const log = ${JSON.stringify(options.log ?? null)};
    if (log) appendFileSync(log, '+' + process.pid + '\\n');
    process.stdout.write('held\\n');
    const holdMs = ${JSON.stringify(options.holdMs ?? null)};
    if (holdMs === null) setInterval(() => {}, 60_000);
    else {
      await new Promise((r) => setTimeout(r, holdMs));
      if (log) appendFileSync(log, '-' + process.pid + '\\n');
      await lock.release();
    }`;
  const child = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
  children.push(child);
  const holding = new Promise<void>((resolveHeld, rejectHeld) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolveHeld();
    });
    void child.then((result) => rejectHeld(new Error(`the holder exited before it held the lock: ${result.stderr}`)));
  });
  return { child, holding };
}

async function killedHolder(stateDir: string): Promise<number> {
  const { child, holding } = holder(stateDir);
  await holding;
  child.kill('SIGKILL');
  await child;
  return child.pid as number;
}

const lockDir = (stateDir: string) => join(stateDir, 'reconcile.lock');

async function writeRecord(stateDir: string, record: LockHolder): Promise<void> {
  await mkdir(lockDir(stateDir), { recursive: true });
  await writeFile(join(lockDir(stateDir), HOLDER_FILE), `${JSON.stringify(record)}\n`);
}

// 1.5 s is well inside proper-lockfile's 10 s staleness: a lock taken within it was taken over, not aged out.
const SHORT_WAIT = { waitMs: 1500 };

describe('state lock: a dead holder is taken over at once', () => {
  it('takes over the lock of a holder killed with SIGKILL, and its own release leaves nothing behind', async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const pid = await killedHolder(stateDir);
    expect(JSON.parse(await readFile(join(lockDir(stateDir), HOLDER_FILE), 'utf8')).pid).toBe(pid); // the dead holder's record
    const lock = await acquireStateLock(stateDir, SHORT_WAIT);
    expect(JSON.parse(await readFile(join(lockDir(stateDir), HOLDER_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(lockDir(stateDir))).toBe(false);
    expect(existsSync(`${lockDir(stateDir)}.break`)).toBe(false);
  });

  it('takes over from a zombie: a holder killed whose parent has not waited for it yet', async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const script = `const { acquireStateLock } = await import(${JSON.stringify(STATE_LOCK_MODULE)});
      await acquireStateLock(${JSON.stringify(stateDir)}); process.kill(process.pid, 'SIGKILL');`;
    // sh starts the holder in the background and becomes \`sleep\`, which never waits for it: it stays a zombie.
    const parent = execa('sh', ['-c', 'node --input-type=module -e "$HOLDER" & exec sleep 30'], { env: { HOLDER: script }, reject: false });
    children.push(parent);
    const record = join(lockDir(stateDir), HOLDER_FILE);
    let pid: number | null = null;
    for (let i = 0; i < 200 && pid === null; i += 1) {
      const text = await readFile(record, 'utf8').catch(() => '');
      const held = text === '' ? null : (JSON.parse(text) as { pid: number }).pid;
      if (held !== null && (await readFile(`/proc/${held}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.startsWith('Z')) pid = held;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(pid, 'the holder became a zombie').not.toBeNull();
    const lock = await acquireStateLock(stateDir, SHORT_WAIT);
    await lock.release();
  });

  it('waits for a live holder, and leaves its lock as it is', async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const { child, holding } = holder(stateDir);
    await holding;
    await expect(acquireStateLock(stateDir, { waitMs: 800 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(JSON.parse(await readFile(join(lockDir(stateDir), HOLDER_FILE), 'utf8')).pid).toBe(child.pid);
  });

  it('counts a live process under the recorded pid that started at another time as a reused pid: the holder is dead', async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const here = currentHolder();
    expect(here.start).not.toBeNull(); // Linux: /proc gives the start time this test rests on
    await writeRecord(stateDir, { ...here, start: `${here.start as string}0` });
    const lock = await acquireStateLock(stateDir, SHORT_WAIT);
    await lock.release();
  });

  it("leaves a record it cannot judge (another machine's, another container's, a torn one) to staleness, which still works", async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const dead = await killedHolder(await createTempDir('ravi-lock-other-'));
    const here = currentHolder();
    for (const record of [{ ...here, pid: dead, boot: 'another-boot' }, { ...here, pid: dead, host: 'another-host' }, { ...here, pid: dead, pidNamespace: 'pid:[1]' }]) {
      await writeRecord(stateDir, record);
      await expect(acquireStateLock(stateDir, { waitMs: 600 }), JSON.stringify(record)).rejects.toBeInstanceOf(LockTimeoutError);
    }
    await writeFile(join(lockDir(stateDir), HOLDER_FILE), '{"pid": 12'); // torn
    await expect(acquireStateLock(stateDir, { waitMs: 600 })).rejects.toBeInstanceOf(LockTimeoutError);
    // Stale by its mtime: taken over as before, the record inside removed with the folder.
    const old = new Date(Date.now() - 60_000);
    await utimes(lockDir(stateDir), old, old);
    const lock = await acquireStateLock(stateDir, SHORT_WAIT);
    await lock.release();
    expect(existsSync(lockDir(stateDir))).toBe(false);
  });

  it("waiters racing for a dead holder's lock take it one at a time", async () => {
    const stateDir = await createTempDir('ravi-lock-');
    const log = join(await createTempDir('ravi-lock-log-'), 'holds.log');
    await killedHolder(stateDir);
    const waiters = Array.from({ length: 4 }, () => holder(stateDir, { holdMs: 150, log }));
    const results = await Promise.all(waiters.map((w) => w.child));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(8);
    // Every hold ends before the next starts: +a -a +b -b ...
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]?.startsWith('+'), lines.join(' ')).toBe(true);
      expect(lines[i + 1], lines.join(' ')).toBe(`-${(lines[i] as string).slice(1)}`);
    }
    expect(existsSync(lockDir(stateDir))).toBe(false);
  });
});
