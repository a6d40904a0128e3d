/** JSON config files (Claude Code's settings, .mcp.json, Cursor's worktrees.json, conductor.json): parse, keep style. */
import { AdapterConfigError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** The file's top-level object; invalid JSON or another type is refused, naming the file and the problem. */
export function parseJsonObject(text: string, file: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AdapterConfigError(file, `is not valid JSON (${(error as Error).message}); fix or remove it`, { cause: error });
  }
  if (!isJsonObject(value)) throw new AdapterConfigError(file, `must hold a JSON object, got ${describeJson(value)}`);
  return value;
}

/** Serializes with the file's own indentation (tabs, 4 spaces), or 2 spaces for a new file. */
export function serializeJson(value: unknown, existing: string | null): string {
  const indent = existing === null ? '  ' : (/^([ \t]+)"/m.exec(existing)?.[1] ?? '  ');
  return `${JSON.stringify(value, null, indent)}\n`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
