/**
 * Crash-safe file replacement: temp file in the same folder, fsync, rename (write-file-atomic),
 * then fsync the folder so the rename itself survives a power cut.
 */
import { open, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export interface AtomicWriteOptions {
  /** File mode; files we write may hold secrets, so the default is owner-only. */
  readonly mode?: number;
  /** Mode for a folder we have to create. */
  readonly dirMode?: number;
}

export async function writeFileAtomically(
  file: string,
  content: string | Buffer,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true, mode: options.dirMode ?? 0o700 });
  await writeFileAtomic(file, content, { mode: options.mode ?? 0o600, fsync: true });
  await fsyncDirectory(folder);
}

async function fsyncDirectory(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
    if (!isUnsupported(error)) throw error;
  } finally {
    await handle?.close();
  }
}

function isUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF';
}
