/** Tool answers: the structured value (for clients that read structuredContent) and the same as JSON text. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/** A tool error the agent reads and acts on (a timeout, a bad argument), not a protocol failure. */
export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A regular expression from an agent, case-insensitive like `--match`; a bad one is the caller's error. */
export function compileMatch(raw: string | undefined): RegExp | null {
  if (raw === undefined || raw === '') return null;
  try {
    return new RegExp(raw, 'i');
  } catch (error) {
    throw new Error(`match is not a valid regular expression: ${(error as Error).message}`);
  }
}
