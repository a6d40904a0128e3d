/**
 * The valid-config cache names its files by a 64-bit FNV-1a hash (src/config/valid-config-cache.ts), computed in
 * 32-bit halves: compared here with the definition computed in BigInt, on the published test vectors and on random
 * text with code units of every size.
 */
import { describe, expect, it } from 'vitest';
import { fnv1a64 } from '../../src/config/valid-config-cache.js';

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;

function reference(text: string): string {
  let hash = OFFSET;
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * PRIME) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

describe('fnv1a64', () => {
  it('gives the published FNV-1a 64 values', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('matches the definition on 500 random texts', () => {
    for (let n = 0; n < 500; n++) {
      const text = Array.from({ length: Math.floor(Math.random() * 200) }, () => String.fromCharCode(Math.floor(Math.random() * 0x10000))).join('');
      expect(fnv1a64(text), JSON.stringify(text)).toBe(reference(text));
    }
  });
});
