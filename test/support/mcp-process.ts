/** An agent's MCP server (`mcp`) as a real child process on stdio, spoken to in JSON-RPC lines. */
import { execa, type ResultPromise } from 'execa';
import { isolatedEnv } from './cli.js';
import { waitFor } from './daemon-process.js';

export interface McpProcess {
  readonly child: ResultPromise;
  /** Everything it wrote to stdout: the protocol, and V8's traces when node was asked for them. */
  output(): string;
  send(message: object): void;
  /** `tools/call` of `name` with id `id`. */
  call(id: number, name: string, args?: object): void;
  /** Ends its stdin (it exits then) and returns its exit code. */
  end(): Promise<number>;
}

/** Started with `nodeArgs` before `cli` (the program's entry or the bin), and initialized (id 0). */
export async function startMcpProcess(options: { cli: string; cwd: string; home: string; nodeArgs?: string[] }): Promise<McpProcess> {
  const child = execa(process.execPath, [...(options.nodeArgs ?? []), options.cli, 'mcp'], { cwd: options.cwd, env: isolatedEnv(options.home), extendEnv: false, reject: false, stdin: 'pipe' });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const send = (message: object) => void child.stdin?.write(`${JSON.stringify(message)}\n`);
  const mcp: McpProcess = {
    child,
    output: () => out,
    send,
    call: (id, name, args = {}) => send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
    async end() {
      child.stdin?.end();
      return (await child).exitCode ?? -1;
    },
  };
  send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'ravi-orchestrator-tests', version: '0' } } });
  await waitFor(() => out.includes('"id":0'), 'the MCP server to answer initialize');
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return mcp;
}
