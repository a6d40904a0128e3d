/**
 * Identity names: filled from the template, sanitised to what Ravi accepts in names and email local
 * parts, and made unique per worktree (Superset's `feat/x` and `fix/x` both end in `x`). Pure.
 */
import { createHash } from 'node:crypto';
import { fillTemplate, shortBranch } from './templates.js';

const MAX_NAME_LENGTH = 30; // Ravi's email local parts are 3-30 chars; keep names usable as one.

export interface NameInputs {
  readonly template: string;
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
}

/** The sanitised name the template gives, before uniqueness is applied. */
export function baseIdentityName(inputs: NameInputs): string {
  const raw = fillTemplate(inputs.template, {
    repo: inputs.repoName,
    worktree: inputs.adminId,
    branch: shortBranch(inputs.branch),
  });
  return sanitizeName(raw);
}

/**
 * Lowercase letters, digits and single hyphens, starting and ending with a letter or digit,
 * 3..30 chars. Non-ASCII letters are transliterated where Unicode can (é -> e), dropped otherwise.
 */
export function sanitizeName(raw: string): string {
  const ascii = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let name = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length < 3) name = `ws-${name || 'x'}`.replace(/-+$/, '');
  if (name.length > MAX_NAME_LENGTH) name = truncateWithHash(name, raw);
  return name;
}

/** `base` with a short stable hash of `seed` so two worktrees never share a name. */
export function uniqueName(base: string, seed: string): string {
  const suffix = shortHash(seed);
  const room = MAX_NAME_LENGTH - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

function truncateWithHash(name: string, seed: string): string {
  return uniqueName(name, seed);
}

function shortHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 6);
}
