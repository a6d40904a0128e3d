/**
 * SHA-256 as hex, for names derived from text on every command's path (a provider scope's ledger file, the
 * validated-config cache). @noble/hashes instead of node:crypto: importing node:crypto starts OpenSSL, about
 * 10 ms of CPU at each start of `otp` or `whoami`, to hash a few dozen bytes. Same digest, byte for byte (a
 * test compares them): the names already on disk stay the names.
 */
import { sha256 } from '@noble/hashes/sha2.js';

const encoder = new TextEncoder();

export function sha256Hex(text: string): string {
  let hex = '';
  for (const byte of sha256(encoder.encode(text))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
