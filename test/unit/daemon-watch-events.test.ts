/**
 * WatchEvents (src/daemon/watch-events.ts): which watch events cost a pass. Real files in a temp folder,
 * real timers with a short debounce; every wait is on a condition (an enqueue, or the logged verdict that
 * no pass is needed), never on a duration.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/util/logger.js';
import { WatchEvents } from '../../src/daemon/watch-events.js';
import type { WatchedPath } from '../../src/daemon/watched-paths.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'ravi-watch-events-'));
  dirs.push(dir);
  const env = join(dir, '.env');
  await writeFile(env, 'A=1\n');
  let record: WatchedPath[] | undefined = [
    { path: dir, kind: 'folder', seen: 'folder' },
    { path: env, kind: 'env', seen: sha('A=1\n') },
  ];
  const enqueued: string[] = [];
  const verdicts: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { msg: string; repo?: string };
      if (line.msg.endsWith('no pass')) verdicts.push(line.repo ?? '');
      done();
    },
  });
  const events = new WatchEvents({
    debounceMs: 10,
    enqueue: (repo) => enqueued.push(repo),
    watched: () => record,
    logger: createLogger('debug', sink),
  });
  const setRecord = (next: WatchedPath[] | undefined) => (record = next);
  return { dir, env, events, enqueued, verdicts, setRecord };
}

describe('WatchEvents', () => {
  it('folds git and file events of one repo into one pass', async () => {
    const { events, enqueued } = await setup();
    events.add('r', 'files');
    events.add('r', 'git');
    events.add('r', 'files');
    await until(() => enqueued.length > 0, 'the pass');
    events.add('other', 'git');
    await until(() => enqueued.length > 1, 'the other repo\'s pass');
    expect(enqueued).toEqual(['r', 'other']);
  });

  it('skips a file event when the files are as the last pass saw or left them, and not when one differs', async () => {
    const { env, events, enqueued, verdicts } = await setup();
    events.add('r', 'files');
    await until(() => verdicts.length === 1, 'the verdict');
    expect(enqueued).toEqual([]);
    await writeFile(env, 'A=2\n');
    events.add('r', 'files');
    await until(() => enqueued.length === 1, 'the pass');
    expect(verdicts).toHaveLength(1);
  });

  it('checks a file event that came during a pass against what that pass recorded, once it ended', async () => {
    const { env, events, enqueued, verdicts, setRecord } = await setup();
    events.passStarted('r');
    await writeFile(env, 'A=2\n'); // the running pass writes the file; its event comes back at once
    events.add('r', 'files');
    // Another repo's window, armed later with the same delay, flushes after this one's.
    events.add('s', 'git');
    await until(() => enqueued.includes('s'), 'the later window');
    // Not checked while the pass runs: against the old record it would pay a second pass.
    expect(verdicts).toEqual([]);
    setRecord([{ path: env, kind: 'env', seen: sha('A=2\n') }]);
    events.passEnded('r');
    await until(() => verdicts.length === 1, 'the verdict after the pass');
    expect(enqueued).toEqual(['s']);
  });

  it('enqueues when there is no record yet, or when a watched folder is gone', async () => {
    const { dir, events, enqueued, setRecord } = await setup();
    setRecord(undefined);
    events.add('r', 'files');
    await until(() => enqueued.length === 1, 'a pass without a record');
    setRecord([{ path: dir, kind: 'folder', seen: 'folder' }]);
    await rm(dir, { recursive: true, force: true });
    events.add('r', 'files');
    await until(() => enqueued.length === 2, 'a pass for the deleted folder');
  });

  it('drops pending events on cancel', async () => {
    const { events, enqueued, verdicts } = await setup();
    events.add('r', 'git');
    events.cancel();
    events.add('s', 'files'); // a later event still works
    await until(() => verdicts.length === 1, 'the later event');
    expect(enqueued).toEqual([]);
  });
});

describe('WatchEvents, settled', () => {
  it('flushes a settled git event at once instead of after the quiet time, with the files events of its window', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ravi-watch-events-'));
    dirs.push(dir);
    const enqueued: string[] = [];
    const events = new WatchEvents({
      debounceMs: 600_000, // far beyond until()'s 5 s: only the settled flush can enqueue in time
      enqueue: (repo) => enqueued.push(repo),
      watched: () => [],
      logger: createLogger('silent'),
    });
    events.add('r', 'files');
    events.add('r', 'git');
    events.add('r', 'git', true);
    await until(() => enqueued.length > 0, 'the pass');
    expect(enqueued).toEqual(['r']);
    events.cancel();
  });
});
