import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../../src/util/map-concurrent.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('mapConcurrent', () => {
  it('keeps the order of the items whatever order they finish in', async () => {
    const items = [5, 1, 4, 2, 3];
    const result = await mapConcurrent(items, 3, async (n, index) => {
      for (let i = 0; i < n; i++) await tick(); // larger numbers finish later
      return `${index}:${n}`;
    });
    expect(result).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
  });

  it('never has more than `concurrency` calls in flight, and uses all of them', async () => {
    let inFlight = 0;
    let most = 0;
    await mapConcurrent(Array.from({ length: 20 }, (_, i) => i), 4, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick();
      inFlight--;
    });
    expect(most).toBe(4);
  });

  it('runs one at a time for a concurrency below 1, and maps an empty list to an empty one', async () => {
    let most = 0;
    let inFlight = 0;
    const result = await mapConcurrent([1, 2, 3], 0, async (n) => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      return n * 2;
    });
    expect({ result, most }).toEqual({ result: [2, 4, 6], most: 1 });
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });

  it('rejects with the first failure', async () => {
    await expect(mapConcurrent([1, 2, 3], 2, async (n) => {
      await tick();
      if (n === 2) throw new Error('item 2 failed');
      return n;
    })).rejects.toThrow('item 2 failed');
  });
});
