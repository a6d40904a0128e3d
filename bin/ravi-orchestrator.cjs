#!/usr/bin/env node
// The package's bin. `ravi-orchestrator version` is answered here, before any of the program loads (measured: CPU
// as `node -e 0`, against 1.30x for the same answer from an ES module entry); every other command line goes to the
// CLI program, dist-cli/cli/main.js (CommonJS like this file, built by scripts/build-cli.mjs), which reads
// process.argv itself.
'use strict';
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.on('error', () => process.exit(0)); // a reader that closed stdout (`| head -0`) has seen enough
  process.stdout.write(`${require('../package.json').version}\n`);
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
    require('./compile-cache.cjs').installCompileCache(path.join(__dirname, '..', 'dist-cli'), path.resolve(base));
  }
  require('../dist-cli/cli/main.js');
}
