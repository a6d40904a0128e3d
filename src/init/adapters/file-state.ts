/** Reading a tool's file as it is now, and deciding what writing ours would be. */
import { readFile, stat } from 'node:fs/promises';
import { AdapterConfigError } from './errors.js';
import type { PlannedFile } from './types.js';

export interface CurrentFile {
  readonly text: string;
  /** Permission bits, kept when we update the file. */
  readonly mode: number;
}

/** The file's text and mode, or null when it does not exist. A folder or an unreadable file is refused. */
export async function readCurrent(path: string): Promise<CurrentFile | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mode: info.mode & 0o777 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new AdapterConfigError(path, 'is a folder, not a file', { cause: error });
    throw new AdapterConfigError(path, `cannot be read (${(error as Error).message})`, { cause: error });
  }
}

/** A planned file from the current one (null: absent) and the new text; unchanged text keeps the file as is. */
export function plannedFile(path: string, current: CurrentFile | null, content: string, newMode = 0o644): PlannedFile {
  if (current === null) return { path, content, mode: newMode, state: 'create' };
  return { path, content, mode: current.mode, state: current.text === content ? 'unchanged' : 'update' };
}
