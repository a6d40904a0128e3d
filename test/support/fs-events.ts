/** What fs.watch reports in `dir` (not recursive) while `action` runs, and shortly after. */
import { watch } from 'node:fs';

export async function eventsDuring(dir: string, action: () => Promise<unknown>): Promise<string[]> {
  const events: string[] = [];
  const watcher = watch(dir, (type, name) => events.push(`${type} ${name}`));
  try {
    await action();
    await new Promise((done) => setTimeout(done, 300));
  } finally {
    watcher.close();
  }
  return events;
}
