/** Which of these paths do not exist (a configured repo that was moved or deleted), so summaries can say so. */
import { stat } from 'node:fs/promises';

export async function missingPaths(paths: readonly string[]): Promise<string[]> {
  const exists = await Promise.all(paths.map((path) => stat(path).then(() => true, () => false)));
  return paths.filter((_, i) => !exists[i]);
}
