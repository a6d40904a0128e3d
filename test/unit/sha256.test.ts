/**
 * sha256Hex (FIPS 180-4, in util/sha256.ts) names files that already exist on users' disks (a provider scope's ledger, the
 * validated-config cache): it must give node:crypto's digest for every text, or a ledger would be lost.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ledgerFileFor } from '../../src/files/ledger-types.js';
import { sha256Hex } from '../../src/util/sha256.js';
import { randomHex, randomUuid } from '../../src/util/random.js';

const nodeSha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sha256Hex', () => {
  it('equals node:crypto for the empty text, long texts and any Unicode, lone surrogates included', () => {
    for (const text of ['', 'local', 'https://api.ravi.id', 'é☃😀', 'x'.repeat(1_000_000), '\ud800', 'a\udc00b']) expect(sha256Hex(text)).toBe(nodeSha256(text));
    // Every length around the padding's edges (a block holds 55 bytes of text with the 1 bit and the length).
    for (let length = 0; length <= 200; length++) expect(sha256Hex('a'.repeat(length))).toBe(nodeSha256('a'.repeat(length)));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => sha256Hex(text) === nodeSha256(text)), { numRuns: 500 });
  });

  it('keeps the ledger file names already on disk', () => {
    expect(ledgerFileFor('/state', 'local')).toBe('/state/ledger/local-25bf8e1a.json');
    expect(ledgerFileFor('/state', 'https://api.ravi.id')).toBe(`/state/ledger/api.ravi.id-${nodeSha256('https://api.ravi.id').slice(0, 8)}.json`);
  });
});

describe('random ids', () => {
  it('are hex of the asked length and RFC 4122 v4 UUIDs, different each time', () => {
    expect(randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomHex(6))).size).toBe(100);
    expect(randomUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(randomUuid()).not.toBe(randomUuid());
  });

  it('hand out each drawn byte once, across refills of their pool and at any length', () => {
    // 3000 draws of 8 bytes span about a hundred refills of the 256-byte pool; a byte handed out twice, or a pool
    // not refilled, repeats a draw (two random 64-bit values collide with odds of about 1 in 10^11 here).
    const draws = Array.from({ length: 3000 }, (_, i) => randomHex(i % 7 === 0 ? 3 : 8));
    expect(draws.every((hex, i) => hex.length === (i % 7 === 0 ? 6 : 16) && /^[0-9a-f]+$/.test(hex))).toBe(true);
    const long = draws.filter((hex) => hex.length === 16);
    expect(new Set(long).size).toBe(long.length);
    expect(randomHex(1000)).toMatch(/^[0-9a-f]{2000}$/); // more than a pool holds: drawn on its own
  });
});
