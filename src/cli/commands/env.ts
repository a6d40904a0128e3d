/**
 * `env [--reveal] [--json]`: the managed variables of this worktree, one `KEY='value'` line each, quoted for
 * POSIX sh so that `eval "$(ravi-orchestrator env --reveal)"` sets exactly these values; secrets are masked
 * unless --reveal. --json is the machine form.
 */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { booleanFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { AGENT_FLAGS, json } from '../shared-flags.js';

const MASK = '********';

export default defineCommand({
  summary: 'the managed variables, quoted for the shell (secrets masked unless --reveal)',
  description:
    'This worktree\'s managed variables and secrets, one KEY=\'value\' line each, single-quoted for POSIX sh so that ' +
    '`set -a; eval "$(ravi-orchestrator env --reveal)"; set +a` sets exactly these values. Secret values are masked unless ' +
    '--reveal. --json is the machine form: {"variables": {...}, "secrets": [names], "missingSecrets": [names]}.',
  flags: { reveal: booleanFlag({ help: 'show secret values instead of ********' }), ...AGENT_FLAGS, json },
  examples: ['env', 'env --reveal --json'],
  async run(input) {
    const [{ createAgentContext }, { managedEnv }, { shellQuote }] = await Promise.all([
      import('../context.js'),
      import('../../agent/managed-env.js'),
      import('../../init/superset.js'),
    ]);
    const context = await createAgentContext(input);
    const { io, flags } = input;
    const env = await managedEnv(context.config, context.provider, context.worktree);
    const shown = env.variables.map((v) => ({ ...v, value: v.secret && !flags.reveal ? MASK : v.value }));
    if (flags.json) {
      writeJson(io.stdout, { variables: Object.fromEntries(shown.map((v) => [v.key, v.value])), secrets: shown.filter((v) => v.secret).map((v) => v.key), missingSecrets: env.missingSecrets });
    } else {
      // Keys are checked names ([A-Za-z_][A-Za-z0-9_]*); values go in single quotes, where sh reads every byte literally.
      for (const variable of shown) writeLine(io.stdout, `${variable.key}=${shellQuote(variable.value)}`);
    }
    for (const key of env.missingSecrets) io.stderr.write(`warning: the vault has no secret ${key}\n`);
    return ExitCode.OK;
  },
});
