/**
 * `dir/name` for a folder path that is already absolute and normalized (a realpath, a path git listed) and a
 * relative name of plain segments (no `.`, `..` or empty ones): what path.join gives, without its normalizing
 * pass, which builds a string per segment. A one-shot pass joins about twenty such paths per worktree (its layout,
 * ignore rules and listing) and at N = 500 path.join was the largest single allocator (7 of 55 MB: issue 16).
 */
export function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
