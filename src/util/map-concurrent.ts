/** Maps items through an async function with at most `concurrency` in flight, keeping order. */
import PQueue from 'p-queue';

export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const queue = new PQueue({ concurrency: Math.max(1, concurrency) });
  return Promise.all(items.map((item, index) => queue.add(() => fn(item, index)) as Promise<R>));
}
