/** `version`: the package version. Loads nothing but package.json (it is the start-up baseline). */
import { readFileSync } from 'node:fs';
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeLine } from '../io.js';

export default defineCommand({
  summary: 'print the version',
  flags: {},
  async run({ io }) {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    writeLine(io.stdout, manifest.version);
    return ExitCode.OK;
  },
});
