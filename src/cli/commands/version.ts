/** `version`: the package version. Loads nothing but package.json (it is the start-up baseline). */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeLine } from '../io.js';
import { packageVersion } from '../package-version.js';

export default defineCommand({
  summary: 'print the version',
  flags: {},
  async run({ io }) {
    writeLine(io.stdout, packageVersion());
    return ExitCode.OK;
  },
});
