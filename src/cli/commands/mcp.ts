/** `mcp [--worktree PATH]`: this worktree's identity as MCP tools over stdio (src/mcp/). */
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';

export async function mcpCommand(context: CommandContext): Promise<ExitCodeValue> {
  const [{ runMcpServer }, { worktreeLease }] = await Promise.all([import('../../mcp/server.js'), import('../../mcp/lease.js')]);
  const worktree = context.worktree ?? context.io.cwd;
  await runMcpServer(worktreeLease(context.config, context.provider, worktree, context.logger));
  return ExitCode.OK;
}
