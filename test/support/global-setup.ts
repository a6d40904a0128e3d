/**
 * Runs once around the whole suite. The CLI's bin keeps compiled code between runs (its own cache,
 * bin/compile-cache.cjs, and Node 22.1+'s beside it), in `<os tmpdir>/node-compile-cache` unless
 * NODE_COMPILE_CACHE says otherwise; every test that spawns the CLI's bin would
 * leave that folder behind. It is removed at the end when the suite made it (one that was there before is the
 * user's, and stays).
 */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COMPILE_CACHE = join(tmpdir(), 'node-compile-cache');

export default function setup(): () => void {
  const hadCache = existsSync(COMPILE_CACHE);
  return () => {
    if (!hadCache) rmSync(COMPILE_CACHE, { recursive: true, force: true });
  };
}
