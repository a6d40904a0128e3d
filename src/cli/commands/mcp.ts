/** `mcp [--worktree PATH]`: this worktree's identity as MCP tools over stdio (src/mcp/). */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { AGENT_FLAGS } from '../shared-flags.js';

export default defineCommand({
  summary: 'this worktree\'s identity as MCP tools over stdio (whoami, wait_for_code, ...)',
  description:
    'An MCP server on stdin/stdout for the agent in this worktree: its identity, inbox, verification codes and links, ' +
    'only from messages of its own lease. Logs go to stderr; stdout carries only the protocol.',
  flags: { ...AGENT_FLAGS },
  examples: ['mcp', 'mcp --worktree "$PWD"'],
  async run(input) {
    // An agent's MCP server lives as long as its session, mostly idle (util/optimizing-compilers.ts).
    (await import('../../util/optimizing-compilers.js')).runWithoutOptimizingCompilers();
    const [{ createCommandContext }, { runMcpServer }, { worktreeLease }] = await Promise.all([
      import('../context.js'),
      import('../../mcp/server.js'),
      import('../../mcp/lease.js'),
    ]);
    const context = await createCommandContext(input, { scope: 'worktree' });
    await runMcpServer(worktreeLease(context.config, context.provider, context.worktree ?? input.io.cwd, context.logger));
    return ExitCode.OK;
  },
});
