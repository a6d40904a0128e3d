/** In-process `init --<tool>` on real temp repos, and what a failed one threw. */
import { readFile, stat } from 'node:fs/promises';
import { expect } from 'vitest';
import { runToolInit } from '../../../src/init/adapters/run-tool-init.js';
import type { AdapterTool } from '../../../src/init/adapters/types.js';
import type { InitReport } from '../../../src/init/write-init-files.js';
import type { TestRepo } from '../../support/git-fixtures.js';

export interface ToolInitFlags {
  readonly local?: boolean;
  readonly dryRun?: boolean;
  /** The user's home for Claude Code's user settings; null (default) skips it. */
  readonly home?: string | null;
  readonly cwd?: string;
}

export function initTool(repo: TestRepo, tool: AdapterTool, flags: ToolInitFlags = {}): Promise<InitReport> {
  return runToolInit({ tool, cwd: flags.cwd ?? repo.path, worktree: null, local: flags.local ?? false, dryRun: flags.dryRun ?? false, home: flags.home ?? null });
}

export async function initToolError(repo: TestRepo, tool: AdapterTool, flags: ToolInitFlags = {}): Promise<Error> {
  const error: unknown = await initTool(repo, tool, flags).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

export const read = (path: string): Promise<string> => readFile(path, 'utf8');

/** Bytes and modification time: a second run must not even touch the file. */
export async function snapshot(path: string): Promise<{ text: string; mtimeMs: number }> {
  return { text: await read(path), mtimeMs: (await stat(path)).mtimeMs };
}
