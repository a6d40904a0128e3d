#!/usr/bin/env node
// Builds the CLI program, dist-cli/, from tsc's output in dist/ (run by `npm run build`, after tsc).
//
// Why: Node 20 has no compile cache, and its ES module loader costs about half a millisecond per module (resolve,
// an asynchronous read, compile, link) and about 9 ms to start at all (`node empty.mjs` against `node -e 0`).
// `whoami` loaded 39 of our modules, `reconcile --worktree` about 100. So:
// - the modules on every agent command's path share one file, dist-cli/cli/main.js, and so do a pass's (BUNDLES);
//   every other module keeps a file of its own, at its own path, and loads only when it is needed, as before;
// - the program is CommonJS, which the bin require()s: no ES module loader unless a config file needs it.
// Side by side, Node 20.20, 2026-12-01, 31 interleaved rounds, medians: `whoami` 138 ms from tsc's one file per
// module, 115 ms bundled as ES modules, 104.5 ms as CommonJS (`node -e 0`: 65-66 ms); `otp` 149, 119, 108 ms.
// Two wider bundles lost: one file for everything (every package and built-in loads at start) and all our code in
// one shared file (640 kB to compile for any command).
//
// Packages are not bundled: the program require()s them, import() included (through a module of ours that imports
// the package, so that a package with an ES and a CommonJS build loads once). An ES-only package comes back as
// its namespace (require(esm), Node >= 20.19). One that only `import` can load (plist) must be import()ed where it is
// used, and stays a real import(); the build fails on one imported statically.
// Except BUNDLED_PACKAGES, on a pass's path, bundled with what they import into packages/<name>.js (each stays a
// dependency; its code is copied into the program at build time). p-queue is ES-only: require(esm) starts Node 20's
// ES module loader and runs its resolve and link, 15-27 ms for p-queue, eventemitter3 and p-timeout against 3-6 ms
// bundled. valibot is built to be tree-shaken: its whole CommonJS build (320 exports, 213 kB) took 11.5-12.9 ms to
// load, the 27 functions we use 2.3-2.4 ms (Node 20.20, 2026-12-02, 4-5 runs each). So every module imports valibot
// statically (a module that must load it late import()s a module of ours that does), as an import() of the package
// would keep all of it.
//
// Each module is in exactly one file, so there is one instance of each (its state, its error classes). A module
// that finds files next to itself through import.meta.url keeps its own path, and so do the files it finds.
import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { schemaStampOf } from './schema-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const OUT = join(ROOT, 'dist-cli');

/**
 * Files of several modules. Each holds the modules listed (ones that others load with import()) and all they import
 * statically, which loading them loads anyway; a module goes to the first file that takes it, and every module
 * that no file takes has a file of its own. The first is the program's entry, loaded by every command.
 * Loading any module of a file loads the whole file: so a file marked `passOnly` takes no module that an agent
 * command can load (AGENT_COMMANDS, everything they may import). Otherwise `otp --wait` would load a pass's apply
 * step to read what it handed out (measured: 66 ms from the SMTP 250 to the code on stdout, against 30 ms).
 */
const BUNDLES = [
  // Every agent command's path (`whoami`, `otp`) and the CLI's core: parser, config, worktree, ledger, local provider.
  { file: 'cli/main', roots: ['cli/main', 'cli/run', 'cli/context', 'cli/commands/whoami', 'cli/commands/otp', 'agent/worktree-identity', 'agent/find-message', 'agent/lease-inbox', 'mail/inbox-store', 'providers/local/local-provider', 'providers/local/local-identity-store'] },
  { file: 'reconcile/engine', roots: ['reconcile/engine'], passOnly: true }, // a pass
  { file: 'reconcile/apply', roots: ['reconcile/apply'], passOnly: true }, // a pass with something to change
  { file: 'providers/ravi/ravi-provider', roots: ['providers/ravi/ravi-provider'] }, // the Ravi API's client, whole
];
/** The commands an agent runs in its worktree, often and in a hurry. */
const AGENT_COMMANDS = ['whoami', 'otp', 'inbox', 'link', 'env', 'exec', 'ravi'].map((name) => `cli/commands/${name}`);

const { SCHEMA_STAMP_MODULES } = await import(join(DIST, 'config', 'valid-config-cache.js'));
/**
 * valid-config-cache stamps the schema by its files' sizes and mtimes, found beside its own file, unless the build
 * gives it a stamp: this one, written into its code below. Then it finds no files, and it and the schema's small
 * modules (names, duration) go where the program needs them, in the file every command loads.
 */
const VALID_CONFIG_CACHE = 'config/valid-config-cache';
const BUILT_STAMP_NULL = 'const BUILT_SCHEMA_STAMP = null;';
const builtSchemaStamp = await schemaStampOf(DIST, SCHEMA_STAMP_MODULES.map((name) => `config/${name}`), join(ROOT, 'package.json'));

const distPath = (name) => join(DIST, `${name}.js`);
const nameOf = (id) => relative(DIST, id).replace(/\.js$/, '');

/**
 * Whether the module's code calls import() with a computed specifier (rolldown turns a literal one into require()).
 * It gets a file of its own: the program's compile cache (bin/compile-cache.cjs) leaves a file that calls import() to
 * Node, and the file it would have joined stays cacheable.
 */
function importsAtRunTime(code) {
  return /\bimport\(\s*[^'"`\s)]/.test(code);
}

/** Whether the module's code uses import.meta.url other than to require a package (that works from any file). */
function findsFilesBesideItself(code) {
  return code.replaceAll('createRequire(import.meta.url)', '').includes('import.meta.url');
}

if (!existsSync(distPath('cli/main'))) throw new Error('dist/cli/main.js is missing: run tsc first (npm run build)');
const requireFromProgram = createRequire(join(OUT, 'cli', 'main.js'));
const isPackage = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('node:') && !id.startsWith('\0');
const canRequire = (name) => {
  try {
    requireFromProgram.resolve(name);
    return true;
  } catch {
    return false;
  }
};
/** The module an import() of a package goes through: it imports the package, so the program require()s it. */
const VIA_REQUIRE = '\0package:';
const pinned = new Set();
/** Packages our modules import statically: the CommonJS program require()s each. */
const required = new Set();
/** Packages bundled into the program (see the top): each with what it imports, in packages/<name>.js. */
const BUNDLED_PACKAGES = ['p-queue', 'valibot', 'proper-lockfile'];
/**
 * What a bundled package's own import gets instead. proper-lockfile requires graceful-fs, which on load patches
 * fs.close and fs.closeSync for the whole process (a no-op pass of 500 worktrees closes about 4000 files, each
 * through its wrapper) and loads four modules and assert, constants and stream with it; its EMFILE queue is not
 * needed by a lock that takes a handful of calls and retries its own failures. Measured with the state lock taken
 * (Node 20.20, 2026-12-02, 15 interleaved rounds): no-op `reconcile` of 30 worktrees 180.6 -> 172.1 ms.
 */
const REPLACED_IN_BUNDLE = new Map([['graceful-fs', 'node:fs']]);
/**
 * And a bundled package's `require('assert')` gets this module, built in: proper-lockfile's signal-exit calls
 * assert.equal once per exit handler it is given, and loading node:assert (its error class, its comparisons) cost
 * every pass that takes the state lock 3.5-4.5 ms (`node -e "require('assert')"` against `node -e 0`, 40
 * interleaved runs, Node 20.20, 2026-12-03). The same check and message; the error is a plain one with assert's code.
 */
const ASSERT_IN_BUNDLE = '\0assert-equal';
const ASSERT_EQUAL_CODE = `export function equal(actual, expected, message) {
  if (actual != expected) throw Object.assign(new Error(message), { code: 'ERR_ASSERTION', actual, expected, operator: '==' });
}
`;
const packageName = (source) => source.split('/').slice(0, source.startsWith('@') ? 2 : 1).join('/');
/** Which bundled package's file a module of node_modules goes to: the one that brought it in. */
const bundledFileOf = new Map();
const bundle = await rolldown({
  input: { 'cli/main': distPath('cli/main') },
  platform: 'node',
  // The entry's exports are nobody's interface (it is a program); other files may import the hot code from it.
  preserveEntrySignatures: 'allow-extension',
  // Some modules are import()ed by one command and imported statically by another: that is by design here.
  onLog(level, log, report) {
    if (log.code !== 'INEFFECTIVE_DYNAMIC_IMPORT') report(level, log);
  },
  // Node's own modules and packages stay outside (plugin below): only our own modules are arranged into files.
  plugins: [{
    name: 'pinned-modules',
    transform(code, id) {
      // The config cache gets the schema's stamp, and no pin: the stamp leaves its look beside itself dead code.
      if (id.startsWith(DIST) && nameOf(id) === VALID_CONFIG_CACHE) {
        if (!code.includes(BUILT_STAMP_NULL)) throw new Error(`build-cli: ${VALID_CONFIG_CACHE}.js has no \`${BUILT_STAMP_NULL}\` to write the schema's stamp into`);
        return { code: code.replace(BUILT_STAMP_NULL, `const BUILT_SCHEMA_STAMP = ${JSON.stringify(builtSchemaStamp)};`), map: null };
      }
      if (id.startsWith(DIST) && (findsFilesBesideItself(code) || importsAtRunTime(code))) pinned.add(id);
      return null;
    },
  }, {
    name: 'required-packages',
    async resolveId(source, importer, { kind }) {
      const fromBundled = importer !== undefined && bundledFileOf.has(importer);
      if (fromBundled && REPLACED_IN_BUNDLE.has(source)) return { id: REPLACED_IN_BUNDLE.get(source), external: true };
      if (fromBundled && (source === 'assert' || source === 'node:assert')) {
        bundledFileOf.set(ASSERT_IN_BUNDLE, bundledFileOf.get(importer));
        return ASSERT_IN_BUNDLE;
      }
      const builtin = source.startsWith('node:') || isBuiltin(source);
      if (!builtin && (fromBundled || BUNDLED_PACKAGES.includes(packageName(source)))) {
        const resolved = await this.resolve(source, importer, { kind, skipSelf: true });
        if (resolved === null) throw new Error(`build-cli: ${source} (bundled) cannot be resolved from ${importer}`);
        bundledFileOf.set(resolved.id, fromBundled ? bundledFileOf.get(importer) : packageName(source));
        return resolved;
      }
      if (!builtin && !isPackage(source)) return null;
      if (kind === 'dynamic-import' && (builtin || canRequire(source))) return `${VIA_REQUIRE}${source}`;
      if (kind === 'import-statement' && !builtin) required.add(source);
      return { id: source, external: true };
    },
    load(id) {
      if (id === ASSERT_IN_BUNDLE) return ASSERT_EQUAL_CODE;
      return id.startsWith(VIA_REQUIRE) ? `export * from ${JSON.stringify(id.slice(VIA_REQUIRE.length))};\n` : null;
    },
    // rolldown gives an ES module's import of a package Node's rule for a CommonJS package: its default export is
    // module.exports. Here an ES-only package comes back from require() as its namespace, whose default is its own
    // `default` export. The plain rule (a namespace marked __esModule gives its `default`, anything else gives
    // module.exports) is right for both kinds; it differs from Node's only for a CommonJS package marked __esModule,
    // and none is default-imported here.
    // And __toESM copies every export of a package onto a new object, in each module that imports it: valibot's 320
    // exports cost 1.2-1.7 ms a copy, and six of our modules import it. Without the flag (all of ours) the copy depends
    // only on the package, so one copy per package serves them all (a WeakMap); the build fails if the runtime changes shape.
    renderChunk(code, chunk) {
      let rendered = code.replace(/__toESM\(([\w$]+), 1\)/g, '__toESM($1)');
      if (chunk.fileName === 'rolldown-runtime.js') {
        if (!rendered.includes(TO_ESM_DEFINITION)) throw new Error('build-cli: the rolldown runtime has no `var __toESM = (mod, isNodeMode, target) =>`: update the memo below');
        rendered = rendered.replace(TO_ESM_DEFINITION, `${TO_ESM_MEMO}\nvar __toESMCopy = (mod, isNodeMode, target) =>`);
      }
      return { code: rendered, map: null };
    },
  }],
});

const TO_ESM_DEFINITION = 'var __toESM = (mod, isNodeMode, target) =>';
const TO_ESM_MEMO = `var __namespaceCopies = new WeakMap();
var __toESM = (mod, isNodeMode) => {
\tif (isNodeMode || mod === null || (typeof mod !== "object" && typeof mod !== "function")) return __toESMCopy(mod, isNodeMode);
\tlet copy = __namespaceCopies.get(mod);
\tif (copy === undefined) __namespaceCopies.set(mod, copy = __toESMCopy(mod));
\treturn copy;
};`;

let fileOf = null;
/** Which bundle file each module goes to (see BUNDLES), pinned modules excepted. */
function assignFiles(getModuleInfo) {
  const infoOf = (id, why) => {
    const info = getModuleInfo(id);
    if (info === null) throw new Error(`build-cli: ${relative(ROOT, id)} (${why}) is not in the program`);
    return info;
  };
  const ours = (ids) => ids.filter((id) => id.startsWith(DIST));
  const agentReach = reachable(AGENT_COMMANDS.map(distPath), (id) => {
    const info = infoOf(id, 'an agent command or its import');
    return ours([...info.importedIds, ...info.dynamicallyImportedIds]);
  });
  const assigned = new Map();
  for (const { file, roots, passOnly = false } of BUNDLES) {
    // Not through a module that lives elsewhere: what it imports loads with it, and must not drag this file in.
    const free = (id) => !assigned.has(id) && !pinned.has(id) && !(passOnly && agentReach.has(id));
    const taken = reachable(roots.map(distPath).filter(free), (id) => ours(infoOf(id, `a root of ${file} or its import`).importedIds).filter(free));
    for (const id of taken) assigned.set(id, file);
  }
  return assigned;
}

/** `starts` and every module reachable from them through `next`. */
function reachable(starts, next) {
  const seen = new Set();
  const stack = [...starts];
  while (stack.length > 0) {
    const id = stack.pop();
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...next(id));
  }
  return seen;
}

await rm(OUT, { recursive: true, force: true });
await bundle.write({
  dir: OUT,
  format: 'cjs',
  entryFileNames: '[name].js',
  chunkFileNames: '[name].js',
  // Every file ASCII, without its JSDoc: V8 keeps a module's source in memory, and one with a single character
  // beyond Latin-1 (an arrow in a comment of cli/main.js) as two bytes a character; Node decodes it as such at
  // each start. cli/main.js 163 -> 120 kB, in memory 326 -> 120 kB. Loading reconcile/engine.js and cli/main.js
  // through the compile cache, Node 20.20, 12 alternating runs, medians (2026-12-05): 28.8 -> 25.6 ms, heap
  // 5.44 -> 4.81 MB. The comments are in dist/ and src/, which ship too; licence comments stay.
  charset: 'ascii',
  comments: { legal: true, annotation: false, jsdoc: false },
  codeSplitting: {
    includeDependenciesRecursively: false,
    groups: [{
      debugName: 'the BUNDLES, every other module in a file of its own',
      name(id, context) {
        fileOf ??= assignFiles((moduleId) => context.getModuleInfo(moduleId));
        if (id.startsWith(VIA_REQUIRE)) return `packages/${id.slice(VIA_REQUIRE.length).replaceAll(/[/:]/g, '+')}`;
        if (bundledFileOf.has(id)) return `packages/${bundledFileOf.get(id).replaceAll('/', '+')}`;
        return fileOf.get(id) ?? (id.startsWith(DIST) ? nameOf(id) : null);
      },
    }],
  },
});
await bundle.close();

// Node reads dist-cli/*.js as CommonJS (the package itself is "type": "module").
await writeFile(join(OUT, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
// Every package the program require()s can be required (not one that only `import` can load).
for (const name of required) {
  if (!canRequire(name)) throw new Error(`build-cli: ${name} is imported statically, but only import() can load it (no "require" entry): import() it where it is used`);
}
const sizes = await Promise.all(BUNDLES.map(async ({ file }) => {
  const modules = [...fileOf.values()].filter((f) => f === file).length;
  return `${file}.js ${modules} modules (${Math.round((await stat(join(OUT, `${file}.js`))).size / 1024)} kB)`;
}));
console.log(`build-cli: dist-cli/ written: ${sizes.join(', ')}`);
