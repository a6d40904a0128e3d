/**
 * Names of our temp files, and the removal of the ones a killed process left behind.
 *
 * A temp file sits next to the file it replaces (a rename is only atomic within one file system), so in a
 * worktree it sits where `git status` looks. Every name therefore ends in TEMP_FILE_SUFFIX, which the one
 * info/exclude line TEMP_FILES_EXCLUDE covers in any folder (git matches a slash-free `*suffix` pattern against
 * the last path component: gitignore(5), "PATTERN FORMAT"). The name also carries the writer's pid, so a
 * leftover is provably ours (this exact shape, next to the file it was for) and provably abandoned (that
 * process is gone) before we delete it.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomHex } from '../util/random.js';

export const TEMP_FILE_SUFFIX = '.ravi-tmp';
/** The info/exclude line that keeps our temp files out of `git status` in every folder of a worktree. */
export const TEMP_FILES_EXCLUDE = `*${TEMP_FILE_SUFFIX}`;

/** Temp files this process is writing right now: never stale, whatever their pid says. */
const inFlight = new Set<string>();

/** `<file>.<pid>-<8 hex>.ravi-tmp`, in the file's folder; in flight until released. */
export function tempFileFor(file: string): string {
  const temp = `${file}.${process.pid}-${randomHex(4)}${TEMP_FILE_SUFFIX}`;
  inFlight.add(temp);
  return temp;
}

/** The write is over (renamed into place, or removed after a failure). */
export function releaseTempFile(temp: string): void {
  inFlight.delete(temp);
}

/** A name of exactly the shape tempFileFor gives `file` (for asking git whether it ignores such names). */
export function tempFileExample(file: string): string {
  return `${file}.1-00000000${TEMP_FILE_SUFFIX}`;
}

/**
 * Deletes the temp files that writers of `file` left behind and that no live process is writing: names of
 * exactly our shape for exactly this file, plain files only, whose pid is not running (or is this process's, and
 * not in flight here). Returns the paths removed. Never throws for a file it could not judge or remove; a stale
 * temp file costs disk space, not correctness. Synchronous: it runs before every atomic write, and one readdir of
 * a folder is a few microseconds, where the promise API's round trip cost the main thread far more (issue 16).
 */
export function removeStaleTempFiles(file: string): string[] {
  const folder = dirname(file);
  const pattern = new RegExp(`^${escapeRegExp(basename(file))}\\.(\\d{1,10})-[0-9a-f]{8}${escapeRegExp(TEMP_FILE_SUFFIX)}$`);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    const path = join(folder, name);
    if (pid === undefined || inFlight.has(path) || isRunningElsewhere(Number(pid))) continue;
    try {
      if (!lstatSync(path).isFile()) continue; // a folder or a link of that name is not something we made
      unlinkSync(path);
      removed.push(path);
    } catch {
      // gone already (another pass cleaned it) or not ours to remove: leave it
    }
  }
  return removed;
}

/** Whether another live process has this pid (EPERM: it exists but belongs to someone else). */
function isRunningElsewhere(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
