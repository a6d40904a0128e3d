/**
 * `ravi-orchestrator mcp`: a stdio MCP server (the official TypeScript SDK) that gives the agent in one
 * worktree its identity as tools: whoami, wait_for_code, wait_for_link, list_messages. stdout carries
 * only the protocol; logs go to stderr. The server ends when the client closes stdin.
 */
import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { LeaseView } from './lease.js';
import { letMemoryReducerSeeIdle } from '../util/memory-reducer.js';
import { registerWhoami } from './tools/whoami.js';
import { registerWaitTools } from './tools/wait-tools.js';
import { registerListMessages } from './tools/list-messages.js';

const INSTRUCTIONS =
  'This git worktree has its own agent identity (email address and phone number). Call whoami for the address to sign up with; ' +
  'after submitting a form, call wait_for_code or wait_for_link, which wait for the message and return the code or link. ' +
  'list_messages shows what arrived. Other worktrees\' messages are never visible here.';

export function createMcpServer(lease: LeaseView): McpServer {
  const server = new McpServer({ name: 'ravi-orchestrator', version: packageVersion() }, { instructions: INSTRUCTIONS });
  registerWhoami(server, lease);
  registerWaitTools(server, lease);
  registerListMessages(server, lease);
  return server;
}

export interface StdioStreams {
  readonly stdin: NodeJS.ReadableStream & { pause(): unknown };
  readonly stdout: NodeJS.WritableStream;
}

/** Serves until the client closes stdin (or the transport fails); in-flight waits are cancelled then. */
export async function runMcpServer(lease: LeaseView, streams: StdioStreams = { stdin: process.stdin, stdout: process.stdout }): Promise<void> {
  const server = createMcpServer(lease);
  const transport = new StdioServerTransport(streams.stdin as never, streams.stdout as never);
  // Each answer ends a burst of work; the server then idles until the agent asks again (memory-reducer.ts).
  const send = transport.send.bind(transport);
  transport.send = (message) => send(message).finally(letMemoryReducerSeeIdle);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  // The SDK's stdio transport does not watch for the end of stdin; a client that hangs up must end us.
  const onEnd = () => void server.close();
  streams.stdin.once('end', onEnd);
  streams.stdin.once('close', onEnd);
  await server.connect(transport);
  await closed;
  streams.stdin.off('end', onEnd);
  streams.stdin.off('close', onEnd);
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
