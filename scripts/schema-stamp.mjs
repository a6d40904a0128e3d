// The config schema's stamp in the built program (src/config/valid-config-cache.ts, BUILT_SCHEMA_STAMP): a hash of
// what decides whether a config is valid, so that a cached verdict is reused only by a program that would give it
// again. scripts/build-cli.mjs writes it into the program; the tests check the program carries it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

/**
 * `built:` and 16 hex digits of the SHA-256 of the modules' text in `distDir` (tsc's output, e.g. dist/config/schema.js)
 * and of the valibot version `requireFrom` resolves (the schema's rules run on its code, bundled into the program).
 * @param {string} distDir  @param {readonly string[]} modules paths under distDir, without `.js`  @param {string} requireFrom
 */
export async function schemaStampOf(distDir, modules, requireFrom) {
  const hash = createHash('sha256');
  for (const name of modules) hash.update(`${name}\0${await readFile(join(distDir, `${name}.js`), 'utf8')}\0`);
  hash.update(`valibot@${await packageVersion('valibot', requireFrom)}`);
  return `built:${hash.digest('hex').slice(0, 16)}`;
}

/** A package's version, from the package.json above its resolved entry (valibot does not export its package.json). */
async function packageVersion(name, requireFrom) {
  const entry = createRequire(requireFrom).resolve(name);
  const folder = `${sep}node_modules${sep}${name}`;
  const at = entry.lastIndexOf(`${folder}${sep}`);
  if (at === -1) throw new Error(`schema-stamp: no node_modules/${name} folder above ${entry}`);
  return JSON.parse(await readFile(join(entry.slice(0, at + folder.length), 'package.json'), 'utf8')).version;
}
