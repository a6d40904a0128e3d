/**
 * `exec -- CMD ARGS`: runs CMD with this worktree's managed variables and secrets in its environment, so secrets
 * can stay off disk (`env.writeSecrets: false`). Exits with CMD's code; 127 when CMD is not found and 126 when it
 * cannot be run, as sh and env(1) do (POSIX "Shell Command Language" 2.8.2, Exit Status for Commands).
 */
import { defineCommand } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { AGENT_FLAGS } from '../shared-flags.js';

export default defineCommand({
  summary: 'run CMD with the managed variables and secrets in its environment',
  description:
    'Runs CMD in this worktree with its managed variables and secrets added to the environment (values never go through ' +
    'argv), so secrets can stay off disk with env.writeSecrets: false. Exits with CMD\'s exit code; 127 when CMD is not ' +
    'found, 126 when it cannot be run, 128+N when signal N ended it. Flags after CMD are CMD\'s.',
  flags: { ...AGENT_FLAGS },
  positionals: [{ name: 'CMD', help: 'the program and its arguments', passThrough: true, complete: 'command' }],
  finishesWhenStdoutCloses: true,
  examples: ['exec -- npm run e2e'],
  async run(input) {
    const [{ createAgentContext }, { managedEnv }, { runChild }] = await Promise.all([
      import('../context.js'),
      import('../../agent/managed-env.js'),
      import('../run-child.js'),
    ]);
    const [file, ...args] = input.positionals as [string, ...string[]];
    const context = await createAgentContext(input);
    const { io } = input;
    const env = await managedEnv(context.config, context.provider, context.worktree);
    for (const key of env.missingSecrets) io.stderr.write(`warning: the vault has no secret ${key}\n`);
    const outcome = await runChild(file, args, { cwd: io.cwd, env: { ...io.env, ...Object.fromEntries(env.variables.map((v) => [v.key, v.value])) } });
    if (outcome.kind === 'exited') return outcome.code as ExitCodeValue;
    io.stderr.write(`ravi-orchestrator exec: ${file}: ${outcome.kind === 'not-found' ? 'command not found' : `cannot run it (${outcome.reason})`}\n`);
    return outcome.kind === 'not-found' ? ExitCode.COMMAND_NOT_FOUND : ExitCode.CANNOT_EXECUTE;
  },
});
