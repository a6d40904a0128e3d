/** `{repo}`: `app` for `/src/app`, `/src/app.git` (bare) and `/src/app/.git` (a bare repo kept in a `.git` folder). */
import { basename, dirname } from 'node:path';

export function repoNameOf(mainPath: string, bare: boolean): string {
  const name = basename(mainPath);
  if (!bare) return name;
  if (name === '.git') return basename(dirname(mainPath));
  return name.replace(/\.git$/, '') || name;
}
