/** The JSON Claude Code sends to WorktreeCreate / WorktreeRemove hooks, read strictly. */
import { describe, expect, it } from 'vitest';
import { HookPayloadError, parseCreatePayload, parseRemovePayload } from '../../src/init/adapters/claude/payload.js';

const common = { session_id: 'abc123', transcript_path: '/u/.claude/projects/p/t.jsonl', cwd: '/u/app' };

describe('WorktreeCreate payload', () => {
  it('reads the name (or worktree_name, as some builds send) and the session cwd', () => {
    expect(parseCreatePayload(JSON.stringify({ ...common, hook_event_name: 'WorktreeCreate', name: 'bold-oak-a3f2' }))).toEqual({ name: 'bold-oak-a3f2', cwd: '/u/app' });
    expect(parseCreatePayload(JSON.stringify({ worktree_name: 'feat/auth' }))).toEqual({ name: 'feat/auth', cwd: null });
  });

  it.each([
    ['', /got nothing/],
    ['not json', /text that is not JSON/],
    ['[]', /a JSON object/],
    [JSON.stringify({ hook_event_name: 'WorktreeRemove', name: 'x' }), /handles WorktreeCreate, but the payload is for WorktreeRemove/],
    [JSON.stringify({ cwd: '/u' }), /no "name"/],
    [JSON.stringify({ name: '../up' }), /not usable/],
    [JSON.stringify({ name: 'a/../../b' }), /not usable/],
    [JSON.stringify({ name: '.hidden' }), /not usable/],
    [JSON.stringify({ name: '-rf' }), /not usable/],
    [JSON.stringify({ name: 'x.lock' }), /not usable/],
    [JSON.stringify({ name: 'a b' }), /not usable/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCreatePayload(text)).toThrow(HookPayloadError);
    expect(() => parseCreatePayload(text)).toThrow(message);
  });
});

describe('WorktreeRemove payload', () => {
  it('reads worktree_path, which must be absolute', () => {
    expect(parseRemovePayload(JSON.stringify({ ...common, hook_event_name: 'WorktreeRemove', worktree_path: '/u/app/.claude/worktrees/x' }))).toEqual({ worktreePath: '/u/app/.claude/worktrees/x' });
    expect(() => parseRemovePayload(JSON.stringify({ worktree_path: 'relative/x' }))).toThrow(/absolute "worktree_path"/);
  });
});
