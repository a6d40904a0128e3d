/**
 * mapConcurrent (util/map-concurrent.ts) for observe's per-worktree reads: the same bound and order, without a
 * queue. Nearly every worktree's reads are synchronous inside (observe-files.ts, the ignore proof), so per item
 * the cost is the queue's, not the work's: p-queue's task object, its events and promises per item cost about
 * 15 ms at N = 500 in a cold one-shot process, against about 4 ms for `limit` loops pulling the next index.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  // A rejection ends the whole map at once, as Promise.all over a queue does; the other loops finish their item.
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
