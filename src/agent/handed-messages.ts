/**
 * What an agent was handed and marked read, kept on our side (Ravi has no call that marks a message
 * read): one small JSON-lines file per lease in the state dir, appended by `otp`/`link --mark-read` and
 * removed when the lease ends. A message listed here is never handed out again in that lease.
 */
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export type MessageKind = 'email' | 'sms';

export interface HandedMessage {
  readonly kind: MessageKind;
  readonly id: string;
}

const LEASE_ID = /^[A-Za-z0-9-]{1,64}$/;

function handedFile(stateDir: string, leaseId: string): string {
  if (!LEASE_ID.test(leaseId)) throw new Error(`not a lease id: ${JSON.stringify(leaseId)}`);
  return join(stateDir, 'leases', `${leaseId}.handed.jsonl`);
}

export function handedKey(message: HandedMessage): string {
  return `${message.kind}:${message.id}`;
}

/** The messages of this lease already marked read (as `kind:id`); a torn last line is skipped. */
export async function readHanded(stateDir: string, leaseId: string): Promise<Set<string>> {
  const text = await readFile(handedFile(stateDir, leaseId), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const handed = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const value = JSON.parse(line) as Partial<HandedMessage>;
      if ((value.kind === 'email' || value.kind === 'sms') && typeof value.id === 'string') handed.add(handedKey(value as HandedMessage));
    } catch {
      // a torn line from a crash mid-append: that mark never completed
    }
  }
  return handed;
}

/** One append (concurrent agents' lines never interleave), owner-only. */
export async function recordHanded(stateDir: string, leaseId: string, message: HandedMessage): Promise<void> {
  const file = handedFile(stateDir, leaseId);
  await mkdir(join(stateDir, 'leases'), { recursive: true, mode: 0o700 });
  await appendFile(file, `${JSON.stringify({ kind: message.kind, id: message.id, at: new Date().toISOString() })}\n`, { mode: 0o600, flag: 'a' });
}

export async function forgetHanded(stateDir: string, leaseId: string): Promise<void> {
  await rm(handedFile(stateDir, leaseId), { force: true });
}
