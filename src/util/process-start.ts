/**
 * Which process a pid names, beyond the number: a pid is reused once its process is gone, so a record that
 * outlives its process must also say when that process started to be told apart from the next one.
 */
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc or no such pid. */
export function processStartOf(pid: number): string | null {
  return processStatus(pid)?.start ?? null;
}

/**
 * From /proc/<pid>/stat: the state letter (field 3: R, S, D, Z for a zombie, ...) and the start time (field 22);
 * null where there is no /proc, no such pid, or it is hidden from us (hidepid).
 */
export function processStatus(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces and parentheses
    const [state, start] = [afterName[0], afterName[19]];
    return state === undefined || start === undefined ? null : { state, start };
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists (EPERM: it does, and belongs to someone else). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
