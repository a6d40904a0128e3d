/**
 * Identity names: filled from the template, sanitised to what Ravi accepts in names and email local parts, fitted
 * to 30 chars keeping what tells worktrees apart, and made unique per worktree. Pure and deterministic.
 *
 * Why 30: a name is used as an email local part (`<name>@agents.localhost` on the local provider), and Ravi's
 * custom local parts are 3-30 chars: lowercase letters, digits, dots and hyphens, starting and ending with a letter
 * or digit, no `..` or `--` (RAVI-CONTRACT.md). Names are `[a-z0-9]` runs joined by single hyphens: never a `+`,
 * so plus-addressing (`name+tag@`) cannot hide a mailbox.
 */
import { sha256Hex } from '../util/sha256.js';
import { fillTemplate, shortBranch } from './templates.js';

const MAX_NAME_LENGTH = 30;
const MIN_NAME_LENGTH = 3;
/** A too-long name first loses middle parts of its worktree/branch values down to about this length... */
const LABEL_ROOM = 16;
/** ...then the end of the repo name down to this, then more of the values (their first and last part stay). */
const MIN_REPO_LENGTH = 4;

export interface NameInputs {
  readonly template: string;
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
}

/**
 * The sanitised name the template gives, before uniqueness is applied. Too long, it is fitted in steps, each
 * only as far as needed: the `{worktree}`/`{branch}` values lose whole parts from their middle down to about 16
 * chars (their first part, a branch prefix like `feat`, and their end stay), then the repo name loses its end,
 * then the values lose more middle parts, and only then does the whole name lose its middle.
 */
export function baseIdentityName(inputs: NameInputs): string {
  const full = {
    repo: slug(inputs.repoName),
    worktree: worktreeLabel(inputs.adminId, inputs.branch),
    branch: slug(shortBranch(inputs.branch).replaceAll('/', '-')),
  };
  const fill = (v: typeof full) => slug(fillTemplate(inputs.template, v));
  const labelsWithin = (room: number) => ({ worktree: dropMiddle(full.worktree, room, 1), branch: dropMiddle(full.branch, room, 1) });
  const longest = Math.max(full.worktree.length, full.branch.length);
  let values = full;
  const fits = () => fill(values).length <= MAX_NAME_LENGTH;
  for (let room = longest - 1; !fits() && room >= LABEL_ROOM; room -= 1) values = { ...full, ...labelsWithin(room) };
  const labels = { ...values };
  for (let room = full.repo.length - 1; !fits() && room >= MIN_REPO_LENGTH; room -= 1) values = { ...labels, repo: keepStart(full.repo, room) };
  for (let room = LABEL_ROOM - 1; !fits() && room > 0; room -= 1) values = { ...values, ...labelsWithin(room) };
  return sanitizeName(fill(values));
}

/**
 * What `{worktree}` stands for in a name: git's admin id (the worktree folder's name, which git makes unique with a
 * counter: `login`, `login1`), widened to the whole branch when the folder is named after the branch's last part.
 * Superset keeps `feat/login` in `…/feat/login`, so `feat/login` and `fix/login` get the admin ids `login` and
 * `login1`; the branch gives back what tells them apart: `feat-login` and `fix-login`. Any other folder name (a
 * Conductor city, a Claude Code session name) is kept as it is.
 */
export function worktreeLabel(adminId: string, branchRef: string | null): string {
  const id = slug(adminId);
  const parts = shortBranch(branchRef).split('/').map(slug).filter((part) => part !== '');
  const last = parts.at(-1);
  if (last === undefined) return id;
  const whole = parts.join('-');
  const namedAfterBranch = id === whole || id === last || (id.startsWith(last) && /^\d+$/.test(id.slice(last.length)));
  return namedAfterBranch ? whole : id;
}

/**
 * Lowercase letters, digits and single hyphens, starting and ending with a letter or digit, 3..30 chars.
 * Non-ASCII letters are transliterated where Unicode can (é -> e), dropped otherwise. Over 30 chars, whole parts
 * are dropped from the middle (the start and the end say the most).
 */
export function sanitizeName(raw: string): string {
  let name = slug(raw);
  if (name.length < MIN_NAME_LENGTH) name = slug(`ws-${name || 'x'}`);
  return dropMiddle(name, MAX_NAME_LENGTH, middleOf(name), true);
}

/** `base` with a short stable hash of `seed` (the worktree's key), so two worktrees never share a name. */
export function uniqueName(base: string, seed: string): string {
  const suffix = sha256Hex(seed).slice(0, 6);
  const room = MAX_NAME_LENGTH - suffix.length - 1;
  return `${dropMiddle(base, room, middleOf(base), true)}-${suffix}`;
}

/** `[a-z0-9]` runs joined by single hyphens (may be empty). */
function slug(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A slug cut towards `max` chars by dropping whole hyphen-separated parts from index `keep` on (the first `keep`
 * parts and the last one stay). With `partial`, when whole parts are not enough, the kept head and the end of the
 * slug are cut inside a part to fit exactly; without, the shortest whole-part form is returned, maybe longer.
 */
function dropMiddle(value: string, max: number, keep: number, partial = false): string {
  if (value.length <= max) return value;
  const parts = value.split('-');
  const head = parts.slice(0, Math.max(1, keep));
  const rest = parts.slice(head.length);
  while (rest.length > 1 && [...head, ...rest].join('-').length > max) rest.shift();
  const joined = [...head, ...rest].join('-');
  if (joined.length <= max || !partial) return joined;
  // Parts too long to drop whole: up to half for the head, the rest from the end of the value.
  const start = value.slice(0, Math.min(head.join('-').length, Math.ceil(max / 2))).replace(/-+$/, '');
  const room = max - start.length - 1;
  const end = room > 0 ? value.slice(-room).replace(/^-+/, '') : '';
  return end === '' ? keepStart(value, max) : `${start}-${end}`;
}

/**
 * How many leading parts a whole name keeps when it must lose some: up to three (`ws`, the repo, a branch prefix
 * like `feat` with the default template), at most half.
 */
function middleOf(name: string): number {
  return Math.max(1, Math.min(3, Math.ceil(name.split('-').length / 2)));
}

/** The start of a slug in at most `max` chars, ending at a part boundary when that keeps at least half. */
function keepStart(value: string, max: number): string {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  if (value[max] === '-') return cut;
  const boundary = cut.lastIndexOf('-');
  return (boundary >= max / 2 ? cut.slice(0, boundary) : cut).replace(/-+$/, '');
}
