import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/util/compare-text.js';

describe('compareText', () => {
  it('orders by UTF-16 code units, as the default sort does, and says equal only for equal strings', () => {
    const words = ['wt-10', 'wt-2', 'B', 'a', 'é', 'e', '', 'a'];
    expect([...words].sort(compareText)).toEqual([...words].sort());
    expect(compareText('B', 'a')).toBeLessThan(0); // localeCompare would put 'a' first
    expect(compareText('a', 'a')).toBe(0);
    expect(compareText('b', 'a')).toBeGreaterThan(0);
  });
});
