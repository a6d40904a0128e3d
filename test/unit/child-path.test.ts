import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childPath } from '../../src/util/child-path.js';

describe('childPath', () => {
  it.each([
    ['/repo/.git', 'HEAD'],
    ['/repo/.git', 'worktrees/wt-1'],
    ['/repo/.git/', 'info/exclude'],
    ['/', '.gitignore'],
    ['/a b/ü', 'refs/heads/feat/x'],
  ])('is path.join for a normalized folder %s and plain segments %s', (dir, name) => {
    expect(childPath(dir, name)).toBe(join(dir, name));
  });
});
