import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogFileStream, followLogFile, readLogTail } from '../../src/daemon/log-file.js';

let root: string;
let logDir: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ravi-log-'));
  logDir = path.join(root, 'state dir ü', 'logs');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const line = (i: number): string => `${JSON.stringify({ n: i, msg: 'x'.repeat(80) })}\n`;
const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('createLogFileStream', () => {
  it('rotates by size, keeps `keep` numbered files, drops the oldest, and loses no line in between', async () => {
    const log = createLogFileStream(logDir, { maxBytes: 1000, keep: 3 });
    for (let i = 0; i < 100; i += 1) log.stream.write(line(i));
    await log.close();

    const files = (await readdir(logDir)).sort();
    expect(files).toEqual(['daemon.log', 'daemon.log.1', 'daemon.log.2', 'daemon.log.3']);
    const oneLine = line(0).length;
    for (const rotated of ['daemon.log.1', 'daemon.log.2', 'daemon.log.3']) {
      const { size } = await stat(path.join(logDir, rotated));
      // A file rotates after the write that reaches the limit, so it holds at most one line more.
      expect(size).toBeGreaterThanOrEqual(1000);
      expect(size).toBeLessThan(1000 + oneLine);
    }
    // Oldest to newest, the kept files are a contiguous tail of what was written.
    const kept = (await Promise.all(['daemon.log.3', 'daemon.log.2', 'daemon.log.1', 'daemon.log'].map((f) => readFile(path.join(logDir, f), 'utf8')))).join('');
    const numbers = kept.trimEnd().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    expect(numbers.at(-1)).toBe(99);
    expect(numbers).toEqual(numbers.map((_, k) => numbers[0]! + k));
    expect(numbers[0]).toBeGreaterThan(0); // something was dropped: only 3 rotated files are kept
  });

  it('makes the folder 0700 and every file 0600, tightening ones that already existed', async () => {
    await mkdir(logDir, { recursive: true, mode: 0o755 });
    await chmod(logDir, 0o755);
    await writeFile(path.join(logDir, 'daemon.log'), 'old line\n', { mode: 0o644 });
    await chmod(path.join(logDir, 'daemon.log'), 0o644);

    const log = createLogFileStream(logDir, { maxBytes: 500, keep: 2 });
    for (let i = 0; i < 20; i += 1) log.stream.write(line(i));
    await log.close();

    expect(await mode(logDir)).toBe(0o700);
    const files = await readdir(logDir);
    expect(files.length).toBe(3);
    for (const file of files) expect(await mode(path.join(logDir, file))).toBe(0o600);
  });

  it('close() flushes every accepted line (pino as the writer) and is idempotent', async () => {
    const log = createLogFileStream(logDir);
    const logger = pino({ base: null }, log.stream);
    for (let i = 0; i < 2000; i += 1) logger.info({ i }, 'tick');
    const closing = log.close();
    expect(log.close()).toBe(closing);
    await closing;
    const lines = (await readFile(log.path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2000);
    expect((JSON.parse(lines[1999]!) as { i: number }).i).toBe(1999);
    expect(log.path).toBe(path.join(logDir, 'daemon.log'));
  });

  it('appends to an existing log instead of truncating it', async () => {
    const first = createLogFileStream(logDir);
    first.stream.write('one\n');
    await first.close();
    const second = createLogFileStream(logDir);
    second.stream.write('two\n');
    await second.close();
    expect(await readFile(path.join(logDir, 'daemon.log'), 'utf8')).toBe('one\ntwo\n');
  });

  it('rejects nonsense sizes with a message naming the option', () => {
    expect(() => createLogFileStream(logDir, { maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => createLogFileStream(logDir, { keep: 1.5 })).toThrow(/keep/);
  });
});

describe('reading the log back (service logs)', () => {
  it('readLogTail returns the last N lines', async () => {
    const file = path.join(root, 'daemon.log');
    await writeFile(file, Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(await readLogTail(file, 3)).toEqual(['line 297', 'line 298', 'line 299']);
    expect(await readLogTail(file, 1000)).toHaveLength(300);
  });

  it('followLogFile prints appended text, follows a rotation, and stops when aborted', async () => {
    const file = path.join(root, 'daemon.log');
    await writeFile(file, 'before\n');
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followLogFile(file, (text) => seen.push(text), controller.signal, 20);
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !seen.join('').includes(text); i += 1) await new Promise((r) => setTimeout(r, 10));
    };
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(file, 'after ü\n');
    await waitFor('after ü');
    await rename(file, `${file}.1`);
    await writeFile(file, 'new file\n');
    await waitFor('new file');
    controller.abort();
    await following;
    expect(seen.join('')).toBe('after ü\nnew file\n');
  });
});
