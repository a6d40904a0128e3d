/**
 * Random ids for writes (temp file names, message ids, local identities), with node:crypto required on first
 * use instead of imported. Loading node:crypto starts OpenSSL, about 10 ms of CPU here, and the modules that
 * name temp files are loaded by every command that only reads (`otp`, `whoami`): they should not pay for it.
 */
import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: NodeCrypto | undefined;

function crypto(): NodeCrypto {
  nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto;
  return nodeCrypto;
}

/**
 * Bytes drawn from node:crypto ahead of use, a pool at a time: each draw is a call into OpenSSL (about 12 us here)
 * and a cold pass of 500 worktrees names about 500 temp files, one per write. Each byte is handed out once.
 */
const POOL_BYTES = 256;
let pool: Buffer | null = null;
let used = POOL_BYTES;

/** `bytes` random bytes as lowercase hex (2 characters a byte). */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return crypto().randomBytes(bytes).toString('hex');
  if (pool === null || used + bytes > POOL_BYTES) {
    pool = crypto().randomFillSync(pool ?? Buffer.alloc(POOL_BYTES));
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** A random RFC 4122 version 4 UUID. */
export function randomUuid(): string {
  return crypto().randomUUID();
}

/**
 * Loads node:crypto now: a pass about to write calls this while it waits for the API, so that its first temp file
 * name does not pay for OpenSSL's start on the way to the first call.
 */
export function loadRandomSource(): void {
  crypto();
}
