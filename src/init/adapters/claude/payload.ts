/**
 * The JSON Claude Code writes to a WorktreeCreate / WorktreeRemove hook's stdin
 * (https://code.claude.com/docs/en/hooks#worktreecreate-input, read 2026-11): common fields `session_id`,
 * `transcript_path`, `cwd`, `hook_event_name`; WorktreeCreate adds `name` (a slug such as `bold-oak-a3f2`;
 * some builds and the docs at times call it `worktree_name`, so both are read); WorktreeRemove adds
 * `worktree_path` (what the create hook printed). Unknown fields are ignored.
 */
import { isAbsolute } from 'node:path';

export class HookPayloadError extends Error {
  override readonly name = 'HookPayloadError';
  readonly code = 'HOOK_PAYLOAD_INVALID';
}

export interface CreatePayload {
  readonly name: string;
  /** Where the session runs (the repo to branch from); null when absent. */
  readonly cwd: string | null;
}

export interface RemovePayload {
  readonly worktreePath: string;
}

export function parseCreatePayload(text: string): CreatePayload {
  const payload = parseObject(text, 'WorktreeCreate');
  const name = payload['name'] ?? payload['worktree_name'];
  if (typeof name !== 'string' || name === '') throw new HookPayloadError('the WorktreeCreate payload on stdin has no "name" (nor "worktree_name") string');
  checkName(name);
  return { name, cwd: absoluteOrNull(payload['cwd']) };
}

export function parseRemovePayload(text: string): RemovePayload {
  const payload = parseObject(text, 'WorktreeRemove');
  const path = payload['worktree_path'];
  if (typeof path !== 'string' || !isAbsolute(path)) throw new HookPayloadError('the WorktreeRemove payload on stdin has no absolute "worktree_path"');
  return { worktreePath: path };
}

/**
 * The name becomes a folder under .claude/worktrees and the branch `worktree-<name>`: git ref rules, no
 * `..` or hidden segments that could climb out of the folder.
 */
function checkName(name: string): void {
  const segment = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
  const bad = name.split('/').some((part) => !segment.test(part) || part.endsWith('.') || part.endsWith('.lock')) || name.includes('..');
  if (bad || name.length > 200) {
    throw new HookPayloadError(`the worktree name ${JSON.stringify(name.slice(0, 200))} is not usable as a folder and branch name (letters, digits, ".", "_", "-", "/")`);
  }
}

function parseObject(text: string, event: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HookPayloadError(`expected Claude Code's ${event} JSON on stdin, got ${text.trim() === '' ? 'nothing' : 'text that is not JSON'}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HookPayloadError(`expected a JSON object on stdin (Claude Code's ${event} payload)`);
  const record = value as Record<string, unknown>;
  const reported = record['hook_event_name'];
  if (typeof reported === 'string' && reported !== event) throw new HookPayloadError(`this hook handles ${event}, but the payload is for ${reported}`);
  return record;
}

function absoluteOrNull(value: unknown): string | null {
  return typeof value === 'string' && isAbsolute(value) ? value : null;
}
