import { describe, expect, it } from 'vitest';
import { AddedWorktrees } from '../../src/daemon/added-worktrees.js';

describe('AddedWorktrees (the daemon\'s hints for its focused pass)', () => {
  it('hands each repo\'s new admin ids to its next run once', () => {
    const added = new AddedWorktrees();
    added.note('/a', ['x', 'y']);
    added.note('/a', ['y', 'z']);
    added.note('/b', ['w']);
    expect(added.take('/a').ids).toEqual(['x', 'y', 'z']);
    expect(added.take('/a').ids).toEqual([]);
    expect(added.take('/b').ids).toEqual(['w']);
  });

  it('names an id still being added to the next runs again, three runs in all', () => {
    const added = new AddedWorktrees();
    added.note('/a', ['x']);
    for (let run = 1; run <= 3; run++) {
      const taken = added.take('/a');
      expect(taken.ids).toEqual(['x']);
      taken.unfinished(['x']);
    }
    expect(added.take('/a').ids).toEqual([]);
  });

  it('counts a fresh sighting in full again, and serves none when many came at once', () => {
    const added = new AddedWorktrees();
    added.note('/a', ['x']);
    const first = added.take('/a');
    added.note('/a', ['x']); // seen again (removed and added) while the run was on
    first.unfinished(['x']);
    for (let run = 1; run <= 3; run++) added.take('/a').unfinished(['x']);
    expect(added.take('/a').ids).toEqual([]);

    added.note('/a', Array.from({ length: 17 }, (_, i) => `w${i}`));
    expect(added.take('/a').ids).toEqual([]);
  });

  it('forgets repos no longer configured', () => {
    const added = new AddedWorktrees();
    added.note('/a', ['x']);
    added.note('/b', ['y']);
    added.retain(['/b']);
    expect(added.take('/a').ids).toEqual([]);
    expect(added.take('/b').ids).toEqual(['y']);
  });
});
