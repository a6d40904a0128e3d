import { describe, expect, it } from 'vitest';
import { repoConfigFacts } from '../../src/git/config-facts.js';

describe('repoConfigFacts (the repository config, read only as far as the worktree listing needs)', () => {
  it.each([
    ['git init', '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n', { bare: false, ignoreCase: undefined }],
    ['git init --bare', '[core]\n\trepositoryformatversion = 0\n\tbare = true\n', { bare: true, ignoreCase: undefined }],
    ['a key alone means true; words, case and comments', '[Core]\n\tBare\n\tignoreCase = No ; macOS said so\n', { bare: true, ignoreCase: false }],
    ['a key on the header line', '[core] bare = yes\n', { bare: true, ignoreCase: undefined }],
    ['other sections, even with subsections and quotes', '[remote "origin"]\n\turl = "x y"\n[branch "main"]\n\tremote = origin\n[core]\n\tbare = 0\n', { bare: false, ignoreCase: undefined }],
    ['core.bare in another section is not core.bare', '[alias]\n\tbare = !echo\n', { bare: undefined, ignoreCase: undefined }],
  ])('%s', (_name, text, expected) => {
    expect(repoConfigFacts(text)).toEqual(expected);
  });

  it.each([
    ['an include', '[include]\n\tpath = other\n'],
    ['a conditional include', '[includeIf "gitdir:~/x/"]\n\tpath = other\n'],
    ['any extension', '[core]\n\trepositoryformatversion = 1\n[extensions]\n\trefStorage = reftable\n'],
    ['core.worktree', '[core]\n\tworktree = /elsewhere\n'],
    ['a newer repository format', '[core]\n\trepositoryformatversion = 2\n'],
    ['a continued line', '[core]\n\tbare = \\\nfalse\n'],
    ['a quoted core value', '[core]\n\tbare = "true"\n'],
    ['a value git may read differently', '[core]\n\tbare = maybe\n'],
    ['a broken section header', '[core\n\tbare = true\n'],
  ])('declines %s', (_name, text) => {
    expect(repoConfigFacts(text)).toBeNull();
  });
});
