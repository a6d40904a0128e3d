import { describe, expect, it } from 'vitest';
import { parseWorktreePorcelainZ, type RawWorktreeEntry } from '../../src/git/porcelain.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const SHA2 = 'fedcba9876543210fedcba9876543210fedcba98';

/** Builds `-z` output the way git does: each field NUL-terminated, each entry followed by one more NUL. */
function z(...entries: string[][]): string {
  return entries.map((fields) => fields.map((f) => `${f}\0`).join('') + '\0').join('');
}

function entry(path: string, overrides: Partial<RawWorktreeEntry> = {}): RawWorktreeEntry {
  return {
    path,
    head: SHA,
    branch: null,
    detached: false,
    bare: false,
    locked: false,
    lockReason: null,
    prunable: false,
    prunableReason: null,
    ...overrides,
  };
}

const cases: Array<{ name: string; output: string; expected: RawWorktreeEntry[] }> = [
  { name: 'empty output', output: '', expected: [] },
  {
    name: 'main worktree on a branch',
    output: z(['worktree /repo', `HEAD ${SHA}`, 'branch refs/heads/main']),
    expected: [entry('/repo', { branch: 'refs/heads/main' })],
  },
  {
    name: 'main plus linked worktrees',
    output: z(
      ['worktree /repo', `HEAD ${SHA}`, 'branch refs/heads/main'],
      ['worktree /wt/feat/x', `HEAD ${SHA2}`, 'branch refs/heads/feat/x'],
    ),
    expected: [
      entry('/repo', { branch: 'refs/heads/main' }),
      entry('/wt/feat/x', { head: SHA2, branch: 'refs/heads/feat/x' }),
    ],
  },
  {
    name: 'path with spaces',
    output: z(['worktree /wt/my feature  x', `HEAD ${SHA}`, 'branch refs/heads/f']),
    expected: [entry('/wt/my feature  x', { branch: 'refs/heads/f' })],
  },
  {
    name: 'path with a newline and a trailing newline',
    output: z(['worktree /wt/line1\nline2\n', `HEAD ${SHA}`, 'detached']),
    expected: [entry('/wt/line1\nline2\n', { detached: true })],
  },
  {
    name: 'non-ASCII path and branch',
    output: z(['worktree /wt/feat/ünï cødé x 日本', `HEAD ${SHA}`, 'branch refs/heads/feat/ünï-cødé-x']),
    expected: [entry('/wt/feat/ünï cødé x 日本', { branch: 'refs/heads/feat/ünï-cødé-x' })],
  },
  {
    name: 'detached HEAD',
    output: z(['worktree /wt/d', `HEAD ${SHA}`, 'detached']),
    expected: [entry('/wt/d', { detached: true })],
  },
  {
    name: 'bare repository (no HEAD line)',
    output: z(['worktree /srv/app.git', 'bare'], ['worktree /wt/a', `HEAD ${SHA}`, 'branch refs/heads/a']),
    expected: [
      entry('/srv/app.git', { head: null, bare: true }),
      entry('/wt/a', { branch: 'refs/heads/a' }),
    ],
  },
  {
    name: 'unborn branch (all-zero HEAD)',
    output: z(['worktree /repo', `HEAD ${'0'.repeat(40)}`, 'branch refs/heads/main']),
    expected: [entry('/repo', { head: null, branch: 'refs/heads/main' })],
  },
  {
    name: 'locked without a reason',
    output: z(['worktree /wt/l', `HEAD ${SHA}`, 'branch refs/heads/l', 'locked']),
    expected: [entry('/wt/l', { branch: 'refs/heads/l', locked: true, lockReason: '' })],
  },
  {
    name: 'locked with a reason holding spaces and a newline',
    output: z(['worktree /wt/l', `HEAD ${SHA}`, 'branch refs/heads/l', 'locked on a USB disk\nsee notes']),
    expected: [
      entry('/wt/l', { branch: 'refs/heads/l', locked: true, lockReason: 'on a USB disk\nsee notes' }),
    ],
  },
  {
    name: 'prunable with a reason',
    output: z([
      'worktree /wt/gone',
      `HEAD ${SHA}`,
      'branch refs/heads/gone',
      'prunable gitdir file points to non-existent location',
    ]),
    expected: [
      entry('/wt/gone', {
        branch: 'refs/heads/gone',
        prunable: true,
        prunableReason: 'gitdir file points to non-existent location',
      }),
    ],
  },
  {
    name: 'prunable without a reason, also locked',
    output: z(['worktree /wt/p', `HEAD ${SHA}`, 'detached', 'locked why', 'prunable']),
    expected: [
      entry('/wt/p', { detached: true, locked: true, lockReason: 'why', prunable: true, prunableReason: '' }),
    ],
  },
  {
    name: 'unknown fields (with and without value) are ignored',
    output: z(['worktree /wt/u', `HEAD ${SHA}`, 'sparse', 'future-field some value', 'branch refs/heads/u']),
    expected: [entry('/wt/u', { branch: 'refs/heads/u' })],
  },
  {
    name: 'missing final entry terminator',
    output: `worktree /repo\0HEAD ${SHA}\0branch refs/heads/main\0`,
    expected: [entry('/repo', { branch: 'refs/heads/main' })],
  },
  {
    name: 'missing terminator between entries',
    output: `worktree /a\0HEAD ${SHA}\0detached\0worktree /b\0HEAD ${SHA2}\0detached\0\0`,
    expected: [entry('/a', { detached: true }), entry('/b', { head: SHA2, detached: true })],
  },
  {
    name: 'fields before any worktree line are dropped',
    output: `HEAD ${SHA}\0\0` + z(['worktree /repo', `HEAD ${SHA}`, 'branch refs/heads/main']),
    expected: [entry('/repo', { branch: 'refs/heads/main' })],
  },
];

describe('parseWorktreePorcelainZ', () => {
  it.each(cases)('$name', ({ output, expected }) => {
    expect(parseWorktreePorcelainZ(output)).toEqual(expected);
  });

  it('parses real git 2.39 output for main, linked, locked and prunable entries', () => {
    const output =
      `worktree /tmp/r/repo\0HEAD ${SHA}\0branch refs/heads/main\0\0` +
      `worktree /tmp/r/wt/x\0HEAD ${SHA}\0branch refs/heads/feat/x\0locked\0\0` +
      `worktree /tmp/r/wt/y\0HEAD ${SHA}\0branch refs/heads/fix/x\0prunable gitdir file points to non-existent location\0\0`;
    const parsed = parseWorktreePorcelainZ(output);
    expect(parsed.map((e) => e.path)).toEqual(['/tmp/r/repo', '/tmp/r/wt/x', '/tmp/r/wt/y']);
    expect(parsed[1]).toMatchObject({ locked: true, lockReason: '' });
    expect(parsed[2]).toMatchObject({ prunable: true, branch: 'refs/heads/fix/x' });
  });
});
