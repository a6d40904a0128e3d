/**
 * Does a git index file (`<gitdir>/index`) hold an entry at, or under, a few paths? Read without git, and only
 * for the layouts where every entry is there in full: versions 2 and 3 (version 4 prefix-compresses names), no
 * split index (`link`: most entries live in another file) and no sparse index (`sdir`: a folder stands for the
 * files under it). Anything else, or any byte that does not fit the format, answers null: "ask git".
 * Format: https://git-scm.com/docs/index-format
 */

export interface IndexProbe {
  /** A relative path; compared ASCII case-insensitively, as `core.ignoreCase` would (the cautious reading). */
  readonly path: string;
  /** Also hit by any entry under `path/` (a folder that holds tracked files). */
  readonly orUnder: boolean;
}

/** Extensions that add no index entries and that git reads in any repository. */
const HARMLESS_EXTENSIONS = new Set(['TREE', 'REUC', 'UNTR', 'FSMN', 'EOIE', 'IEOT']);
const STAT_FIELDS = 40; // ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each)
const EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;

/**
 * For each probe, whether some entry matches it; null when the file is not an index this reader fully understands.
 * `hashSize`: 20 for SHA-1 repositories (the caller has ruled out `extensions.objectFormat`).
 */
export function probeIndex(data: Buffer, probes: readonly IndexProbe[], hashSize: number): boolean[] | null {
  if (data.length < 12 + hashSize || data.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = data.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const count = data.readUInt32BE(8);
  const end = data.length - hashSize; // the trailing checksum
  const needles = probes.map(needleOf);
  const hits = probes.map(() => false);

  let pos = 12;
  for (let i = 0; i < count; i += 1) {
    const flagsAt = pos + STAT_FIELDS + hashSize;
    if (flagsAt + 2 > end) return null;
    const flags = data.readUInt16BE(flagsAt);
    const extended = (flags & EXTENDED) !== 0;
    if (extended && version < 3) return null;
    const nameStart = flagsAt + (extended ? 4 : 2);
    const nul = data.indexOf(0, nameStart);
    if (nul < 0 || nul >= end) return null;
    const nameLength = nul - nameStart;
    // Git trusts the 12-bit length unless it is saturated; a disagreement means we do not read what git reads.
    if ((flags & NAME_MASK) === NAME_MASK ? nameLength < NAME_MASK : nameLength !== (flags & NAME_MASK)) return null;
    const next = pos + ((nameStart - pos + nameLength + 8) & ~7); // 1 to 8 NULs of padding
    if (next > end) return null;
    for (let b = nul; b < next; b += 1) if (data[b] !== 0) return null;
    for (let j = 0; j < needles.length; j += 1) {
      if (hits[j] === true) continue;
      const needle = needles[j] as Buffer;
      const exact = nameLength === needle.length;
      const under = (probes[j] as IndexProbe).orUnder && nameLength > needle.length && data[nameStart + needle.length] === 0x2f;
      if ((exact || under) && startsWithIgnoringCase(data, nameStart, needle)) hits[j] = true;
    }
    pos = next;
  }

  while (pos < end) {
    if (pos + 8 > end || !HARMLESS_EXTENSIONS.has(data.toString('latin1', pos, pos + 4))) return null;
    pos += 8 + data.readUInt32BE(pos + 4);
  }
  return pos === end ? hits : null;
}

/** A probe's path as the bytes compared, per probe object: the ignore proof asks every worktree with the same ones. */
const needles = new WeakMap<IndexProbe, Buffer>();

function needleOf(probe: IndexProbe): Buffer {
  let needle = needles.get(probe);
  if (needle === undefined) needles.set(probe, (needle = Buffer.from(lowerAscii(probe.path), 'latin1')));
  return needle;
}

function startsWithIgnoringCase(data: Buffer, start: number, lowerNeedle: Buffer): boolean {
  for (let k = 0; k < lowerNeedle.length; k += 1) {
    const byte = data[start + k] as number;
    if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== lowerNeedle[k]) return false;
  }
  return true;
}

export function lowerAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
