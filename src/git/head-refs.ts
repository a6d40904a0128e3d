/**
 * A worktree's HEAD as `git worktree list` prints it (commit, branch, detached), read from the files backend's
 * files without starting git. Follows git's refs/files-backend.c (parse_loose_ref_contents, the packed-refs
 * format in Documentation/gitformat... "packed-refs") and refs.c (refs_resolve_ref_unsafe, check_refname_format,
 * the per-worktree ref names); worktree.c add_head_info turns the result into HEAD/branch/detached.
 * Returns undefined for anything it does not fully understand (a broken or odd ref, a per-worktree target,
 * a directory in the way, an unreadable file): the caller then asks git, so the answer is git's or none.
 */
import { join } from 'node:path';
import type { SharedLooks } from '../files/shared-looks.js';
import { readShared, type Dependency, type StampedReads } from './stamped-reads.js';
import { childPath } from '../util/child-path.js';

export interface HeadInfo {
  /** The commit, lowercase hex; null for an unborn branch (git prints 40 zeros). */
  readonly head: string | null;
  /** The ref HEAD finally points at (`refs/heads/x`), null when detached. */
  readonly branch: string | null;
  readonly detached: boolean;
}

/** refs.c SYMREF_MAXDEPTH. */
const MAX_DEPTH = 5;

/** The packed refs of one common dir, read at most once per listing (null: no packed-refs file). */
export class PackedRefs {
  #loaded: { refs: Map<string, string> | null | undefined; dependency: Dependency } | null = null;
  constructor(
    private readonly commonDir: string,
    private readonly looks: SharedLooks,
  ) {}

  /** The commit a packed ref names, null when it is not there, undefined when the file is not understood. */
  lookup(refname: string, reads: StampedReads): string | null | undefined {
    if (this.#loaded === null) {
      const { text, dependency } = readShared(join(this.commonDir, 'packed-refs'), this.looks);
      this.#loaded = { dependency, refs: parsePackedRefs(text) };
    }
    reads.add(this.#loaded.dependency);
    const { refs } = this.#loaded;
    if (refs === null || refs === undefined) return refs;
    return refs.get(refname) ?? null;
  }
}

/** `gitDir`: the worktree's own admin dir (the common dir for the main worktree), where its HEAD lives. */
export function readHead(gitDir: string, commonDir: string, packed: PackedRefs, reads: StampedReads): HeadInfo | undefined {
  let text = reads.read(childPath(gitDir, 'HEAD'));
  if (typeof text !== 'string') return undefined; // HEAD missing or unreadable: git prints zeros; let it say so
  let symbolic: string | null = null;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const content = parseLooseRef(text);
    if (content === undefined) return undefined;
    if ('oid' in content) return symbolic === null ? { head: content.oid, branch: null, detached: true } : { head: content.oid, branch: symbolic, detached: false };
    symbolic = content.target;
    if (!isSharedSafeRefname(symbolic)) return undefined;
    const loose = reads.readOnce(childPath(commonDir, symbolic)) // a safe refname: plain segments;
    if (loose === undefined) return undefined;
    if (loose === null) {
      const oid = packed.lookup(symbolic, reads);
      if (oid === undefined) return undefined;
      return { head: oid, branch: symbolic, detached: false }; // oid null: an unborn branch, as git shows it
    }
    text = loose;
  }
  return undefined; // a symref chain deeper than git follows
}

/** files-backend.c parse_loose_ref_contents, after strbuf_rtrim: `ref: <name>` or an object name. */
function parseLooseRef(raw: string): { target: string } | { oid: string } | undefined {
  // isspace() is ASCII: a ref name may end in another space character (U+3000), which must stay.
  const text = raw.replace(/[ \t\n\v\f\r]+$/, '');
  if (text.startsWith('ref:')) {
    const target = text.slice(4).replace(/^[ \t\n\v\f\r]+/, '');
    return target === '' ? undefined : { target };
  }
  // git accepts trailing text after whitespace and upper-case hex; such a file is odd enough to leave to git.
  return /^[0-9a-f]{40}$/.test(text) ? { oid: text } : undefined;
}

/**
 * packed-refs: an optional `# pack-refs with:` header, `<oid> <refname>` lines, `^<oid>` peeled lines.
 * Anything else (a SHA-256 name, a line git would call corrupt) makes the whole file not understood.
 */
function parsePackedRefs(text: string | null | undefined): Map<string, string> | null | undefined {
  if (text === null || text === undefined) return text;
  const refs = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    if (index === 0 && line.startsWith('# pack-refs with:')) continue;
    if (/^\^[0-9a-f]{40}$/.test(line)) continue;
    const match = /^([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
    if (match === null) return undefined;
    refs.set(match[2] as string, match[1] as string);
  }
  return refs;
}

/**
 * A name under `refs/` that lives in the common dir and that check_refname_format accepts (refs.c): no
 * per-worktree ref (refs/bisect/, refs/worktree/, refs/rewritten/: in the worktree's own dir), no `..`, `@{`,
 * `//`, control or special characters, no component starting with `.` or ending with `.lock`.
 */
function isSharedSafeRefname(name: string): boolean {
  if (!name.startsWith('refs/') || /^refs\/(bisect|worktree|rewritten)\//.test(name)) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\/$|\.$/.test(name) || name === '@') return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}
