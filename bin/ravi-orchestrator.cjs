#!/usr/bin/env node
// The package's bin. `ravi-orchestrator version` is answered here, before any of the program loads (measured: CPU
// as `node -e 0`, against 1.30x for the same answer from an ES module entry); every other command line goes to the
// CLI program, dist-cli/cli/main.js (CommonJS like this file, built by scripts/build-cli.mjs), which reads
// process.argv itself.
'use strict';
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '--version' || argv[0] === '-v')) {
  // Written to the descriptor: making process.stdout loads its stream modules (on a pipe, `net` too), 3-5 ms of
  // start-up (issue 16; version 1.16x `node -e 0` through the stream, measured side by side on 2026-12-03). A few
  // bytes, less than PIPE_BUF: one write(2) takes them whole.
  const text = `${require('../package.json').version}\n`;
  try {
    require('node:fs').writeSync(1, text);
  } catch (error) {
    if (error.code === 'EAGAIN') {
      // A non-blocking pipe that is full: the stream waits for the reader.
      process.stdout.on('error', () => process.exit(0));
      process.stdout.write(text);
    } else if (error.code !== 'EPIPE') {
      throw error;
    } // EPIPE: a reader that closed stdout (`| head -0`) has seen enough; exit 0
  }
} else {
  // Node 22.1+ keeps the compiled code of our modules in a cache (in the OS temp folder), so a later run skips
  // compiling them: a no-op `reconcile` of 30 worktrees, Node 24.22, 6 interleaved runs each on 2026-12-01:
  // median 470 ms with the cache, 520 ms without (`node -e 0`: 96 ms).
  const { enableCompileCache } = require('node:module');
  if (enableCompileCache !== undefined) enableCompileCache();
  else if (!process.env.NODE_DISABLE_COMPILE_CACHE) {
    // Node 20: the same cache, kept by us (compile-cache.cjs), in the folder Node 22+ would use, off by the same switch.
    const path = require('node:path');
    const base = process.env.NODE_COMPILE_CACHE || path.join(require('node:os').tmpdir(), 'node-compile-cache');
    // Entries per command (compile-cache.cjs says why): the first word of the command line that is not a flag.
    const command = argv.find((arg) => !arg.startsWith('-')) ?? '';
    require('./compile-cache.cjs').installCompileCache(path.join(__dirname, '..', 'dist-cli'), path.resolve(base), command);
  }
  require('../dist-cli/cli/main.js');
}
