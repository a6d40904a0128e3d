// A compile cache for the program's own modules (dist-cli/), on every Node. V8 compiles each module at every start;
// this keeps what it compiled between runs, through the documented vm.Script `cachedData` API. Node 20 has no
// cache of its own. Node 22.1+'s (module.enableCompileCache) writes an entry when it compiles a file, so the entry
// holds the top level only and every function that runs is compiled again at each start; ours writes at exit, with
// the functions that ran. Measured on Node 20.20.2 (2026-12-02), a setup script's `reconcile --worktree` taking a
// lease, 20 interleaved runs: median 259 ms with it, 267 without; on Node 24.22.3 and 22.23.5 (2026-12-04) against
// the built-in cache alone, 15 interleaved runs, a no-op `reconcile` of 500 worktrees: 284 -> 272 and 290 -> 270 ms.
//
// - Only files under `programDir` (dist-cli/) go through it, and of those only plain CommonJS that never calls
//   import(); every other module loads as Node loads it (through Node 22+'s own cache, when the bin turned it on).
// - V8 checks a cache entry against the source's length only, so an entry is named by the file's path, size,
//   mtime and inode: a reinstalled file never runs old code. The entries of a file's old versions are removed.
// - Each install of the program has a folder of its own (named by a hash of its path): entries are named by paths
//   inside the program, and two installs sharing a folder removed each other's entries at every run.
// - An entry holds what the run that wrote it compiled: the top level, and the functions that ran. So each command
//   keeps its own entry of a file (`variant`, the command's name): the program's entry file serves every command,
//   and with one entry the first command after an install decided, for good, which functions the others compiled
//   again at every start (`otp` after a `whoami` first: 1.7 ms more than `whoami`; a no-op `reconcile` after a
//   `whoami` first: 2.7 ms more than after a `reconcile` first, 30 interleaved runs each, 2026-12-03).
// - Entries are run as code, so the folder must be this user's alone (created 0700, owned, not writable by
//   group or others, in a folder no one else can rename it out of); otherwise there is no cache. Entries are
//   written at exit, each whole (temp file, rename).
// - Nothing here may fail a command: any error leaves that module, or the whole run, uncached.
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

/**
 * Compiles the modules under `programDir` through a cache in `baseDir` (NODE_COMPILE_CACHE when set, else
 * `<tmp>/node-compile-cache`, where Node 22+ keeps its own), in a folder of this user, this Node and this program
 * folder, in entries of this `variant` (a command's name). Returns counts
 * of cache hits and of modules compiled afresh (tests read them), or null when no folder can be ours alone.
 * @param {string} programDir
 * @param {string} baseDir
 * @param {string} [variant]
 */
function installCompileCache(programDir, baseDir, variant = '') {
  const suffix = /^[a-z][a-z0-9-]{0,31}$/.test(variant) ? `~${variant}` : '';
  const dir = privateFolder(baseDir, `ravi-orchestrator-${process.getuid?.() ?? 'user'}-${process.version}-${process.arch}-${fnv1a(programDir)}`);
  if (dir === null) return null;
  const under = programDir.endsWith(path.sep) ? programDir : programDir + path.sep;
  const counts = { hits: 0, compiled: 0 };
  /** @type {Array<{ entry: string; script: import('node:vm').Script }>} */
  const fresh = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, format) {
    // Node 20.19+ and 22+ pass a format ('commonjs', 'module', 'commonjs-typescript', ...): anything but plain
    // CommonJS, and every file outside the program, goes Node's way with all it was given.
    const plain = format === undefined || format === 'commonjs';
    if (!plain || !filename.startsWith(under) || CALLS_IMPORT.test(content)) return compile.apply(this, arguments);
    const entry = entryFor(dir, under, filename, suffix);
    const cachedData = entry === null ? undefined : readOrUndefined(entry);
    const script = new vm.Script(Module.wrap(content.startsWith('#!') ? `//${content}` : content), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData !== undefined && !script.cachedDataRejected) counts.hits += 1;
    else {
      counts.compiled += 1;
      if (entry !== null) fresh.push({ entry, script });
    }
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  // At exit the functions that ran are compiled too: the entry then holds them, not only the top level.
  process.once('exit', () => {
    if (fresh.length === 0) return;
    const names = namesIn(dir);
    for (const one of fresh) save(one, names);
  });
  return counts;
}

/** 32-bit FNV-1a of a string, 8 hex digits: a folder name per install (a collision only shares a folder). */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function namesIn(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Code from a cache entry cannot call import() ("A dynamic import callback was not specified": the entry's host
 * options are not the script's), so a file that may is left to Node. Matched loosely (a comment counts too): a
 * false match costs only that file's cache. The build gives such calls small files of their own.
 */
const CALLS_IMPORT = /\bimport\(\s*[^\s)]/;

/** `require` as Node hands it to a CommonJS module (its documented members). */
function requireFor(module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * `<dir>/<path under the program, / as %>@<size>-<mtime>-<inode><suffix>` (`~<variant>` or nothing), or null when
 * the file cannot be looked at.
 */
function entryFor(dir, under, filename, suffix) {
  try {
    const stats = fs.statSync(filename, { bigint: true });
    return path.join(dir, `${prefixOf(under, filename)}${stats.size}-${stats.mtimeNs}-${stats.ino}${suffix}`);
  } catch {
    return null;
  }
}

function prefixOf(under, filename) {
  return `${filename.slice(under.length).split(path.sep).join('%')}@`;
}

/** `<size>-<mtime>-<inode>` of an entry's name: what tells a file's versions apart (the variant does not). */
function versionOf(name) {
  const at = name.slice(name.lastIndexOf('@') + 1);
  const tilde = at.indexOf('~');
  return tilde === -1 ? at : at.slice(0, tilde);
}

function readOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes one entry whole, and removes the entries of the same file's earlier versions among `names` (the folder
 * as it was at exit, read once for all entries), of every variant; other variants of this version stay. Never
 * throws (it runs at exit).
 */
function save({ entry, script }, names) {
  const temp = `${entry}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, entry);
    const dir = path.dirname(entry);
    const name = path.basename(entry);
    const prefix = name.slice(0, name.lastIndexOf('@') + 1);
    const version = versionOf(name);
    for (const other of names) {
      if (other.startsWith(prefix) && versionOf(other) !== version && !other.endsWith('.tmp')) fs.rmSync(path.join(dir, other), { force: true });
    }
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {}
  }
}

/**
 * `<base>/<name>`, made 0700 if missing; null unless it is a folder this user owns that group and others cannot
 * write, in a base that no one else can rename it out of (ours or root's, and not writable by others unless sticky).
 */
function privateFolder(base, name) {
  const uid = process.getuid?.();
  if (uid === undefined) return null; // Windows: no owner to check; Node 22+ has its own cache there
  try {
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    const parent = fs.statSync(base);
    const sticky = (parent.mode & 0o1000) !== 0;
    if (!parent.isDirectory() || (parent.uid !== uid && parent.uid !== 0) || ((parent.mode & 0o022) !== 0 && !sticky)) return null;
    const dir = path.join(base, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = fs.lstatSync(dir);
    return stats.isDirectory() && stats.uid === uid && (stats.mode & 0o022) === 0 ? dir : null;
  } catch {
    return null;
  }
}

module.exports = { installCompileCache };
