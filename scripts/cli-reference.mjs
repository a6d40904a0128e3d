#!/usr/bin/env node
// Writes the README's command reference from the built CLI's declarations (run `npm run build` first).
// `--check` only compares, exiting 1 when the README is out of date (test/unit/cli-reference.test.ts does the same).
import { readFile, writeFile } from 'node:fs/promises';

const readme = new URL('../README.md', import.meta.url);
const { renderReference, REFERENCE_START, REFERENCE_END } = await import('../dist/cli/docs/reference.js');
const { loadAllCommands } = await import('../dist/cli/registry.js');
const text = await readFile(readme, 'utf8');
const start = text.indexOf(REFERENCE_START);
const end = text.indexOf(REFERENCE_END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${REFERENCE_START} ... ${REFERENCE_END} block`);
  process.exit(1);
}
const updated = text.slice(0, start) + renderReference(await loadAllCommands()) + text.slice(end + REFERENCE_END.length);
if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error('README.md\'s command reference is out of date: npm run build && node scripts/cli-reference.mjs');
    process.exit(1);
  }
} else if (updated !== text) {
  await writeFile(readme, updated);
  console.log('README.md: command reference updated');
}
