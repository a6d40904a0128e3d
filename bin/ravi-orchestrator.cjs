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
  // Entries per command (compile-cache.cjs says why), and V8's flags: the first word that is not a flag.
  const command = argv.find((arg) => !arg.startsWith('-')) ?? '';
  if (command === 'daemon' || command === 'mcp') {
    // The long-lived processes run without V8's optimizing compilers (src/util/optimizing-compilers.ts says why;
    // their commands set them too, for one started without this bin). Set here, before the program loads: loading
    // it already makes two of Node's path functions hot enough for Maglev, whose code pages then stay in the idle
    // process's RSS (Node 24, 2026-12-05, the daemon: 61.6 MB with the flags set by the command alone, 59.0 with
    // them set here first).
    const v8 = require('node:v8');
    for (const flag of ['--no-turbofan', '--no-maglev']) v8.setFlagsFromString(flag);
  }
  // Compiled code is kept between runs. The program's own files (dist-cli/) go through compile-cache.cjs on every
  // Node: its entries hold the functions that ran, one entry per command; Node 22+'s built-in cache keeps only what
  // compiling a file makes at once (its entry of cli/main.js: 72 KB against our 147 KB), and serves every other
  // module here. A no-op `reconcile` of 500 worktrees, 15 interleaved runs on 2026-12-04: Node 24.22 272 ms with
  // both against 284 with the built-in alone, Node 22.23 270 against 290.
  const { enableCompileCache } = require('node:module');
  if (enableCompileCache !== undefined) enableCompileCache();
  if (!process.env.NODE_DISABLE_COMPILE_CACHE) {
    // In the folder Node 22+ uses for its own (NODE_COMPILE_CACHE, else <tmp>/node-compile-cache), off by its switch.
    const path = require('node:path');
    const base = process.env.NODE_COMPILE_CACHE || path.join(require('node:os').tmpdir(), 'node-compile-cache');
    require('./compile-cache.cjs').installCompileCache(path.join(__dirname, '..', 'dist-cli'), path.resolve(base), command);
  }
  require('../dist-cli/cli/main.js');
}
