/**
 * The embedded default provider: identities, addresses at a local domain, fictional phone numbers
 * and a vault, stored under the state dir. No account, no network; the same engine and guarantees.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { CallOptions, CreateIdentityRequest, EmailMessage, Identity, ListMessagesOptions, Provider, ScopedKey, SmsMessage } from '../types.js';
import { ProviderError } from '../../util/errors.js';
import { readJsonDocument, writeJsonDocument } from './local-store.js';
import { allocatePhone } from './phone-numbers.js';
import { createInboxStore } from '../../mail/inbox-store.js';

export const LOCAL_EMAIL_DOMAIN = 'agents.localhost';

const identitySchema = z.object({
  uuid: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  createdAt: z.string().nullable(),
});
/** An address or number of a deleted identity: not handed out again until the quarantine has passed. */
const retiredSchema = z.object({ email: z.string(), phone: z.string().nullable(), at: z.string() });
const identitiesSchema = z.object({
  version: z.literal(1),
  identities: z.array(identitySchema),
  retired: z.array(retiredSchema).optional(),
});
const vaultSchema = z.object({ version: z.literal(1), vaults: z.record(z.string(), z.record(z.string(), z.string())) });
export type VaultDocument = z.infer<typeof vaultSchema>;

export interface LocalProviderOptions {
  readonly stateDir: string;
  /** Give new identities a phone number. @default true */
  readonly provisionPhone?: boolean;
  /**
   * How long a deleted identity's address and number rest before a new identity may get them (the pool's
   * quarantine), so late mail or SMS for an old task never reaches a new one. @default 0
   */
  readonly quarantineMs?: number;
  /** Clock for tests. @default Date.now */
  readonly now?: () => number;
}

export function localPaths(stateDir: string): { identities: string; vault: string } {
  return { identities: join(stateDir, 'local', 'identities.json'), vault: join(stateDir, 'local', 'vault.json') };
}

export function createLocalProvider(options: LocalProviderOptions): Provider {
  const paths = localPaths(options.stateDir);
  // In-process writes are chained; cross-process writers hold the state lock.
  let writing: Promise<unknown> = Promise.resolve();
  const readIdentities = () => readJsonDocument(paths.identities, identitiesSchema, () => ({ version: 1 as const, identities: [] }));
  const mutate = <T>(change: (doc: z.infer<typeof identitiesSchema>) => T): Promise<T> => {
    const next = writing.then(async () => {
      const doc = await readIdentities();
      const result = change(doc);
      await writeJsonDocument(paths.identities, doc);
      return result;
    });
    writing = next.catch(() => {});
    return next;
  };

  // Each identity's inbox is filled by the local SMTP server and SMS endpoint (src/mail/).
  const inboxes = createInboxStore(options.stateDir);
  const assertKnown = async (uuid: string, options?: CallOptions): Promise<void> => {
    await writing;
    if (!(await readIdentities()).identities.some((i) => i.uuid === uuid)) throw unknownIdentity(uuid, options);
  };

  const now = options.now ?? Date.now;
  const quarantineMs = options.quarantineMs ?? 0;
  /** Addresses and numbers of deleted identities still resting; older ones are forgotten. */
  const resting = (doc: z.infer<typeof identitiesSchema>) => {
    doc.retired = (doc.retired ?? []).filter((r) => Date.parse(r.at) + quarantineMs > now());
    return doc.retired;
  };

  return {
    kind: 'local',
    ledgerScope: 'local',
    issuesScopedKeys: false,
    async listIdentities(): Promise<Identity[]> {
      await writing;
      return (await readIdentities()).identities;
    },
    createIdentity(request: CreateIdentityRequest): Promise<Identity> {
      return mutate((doc) => {
        const retired = resting(doc);
        const identity: Identity = {
          uuid: randomUUID(),
          name: request.name,
          email: uniqueEmail(request.name, [...doc.identities.map((i) => i.email), ...retired.map((r) => r.email)]),
          phone: request.provisionPhone ? allocatePhone([...doc.identities.map((i) => i.phone), ...retired.map((r) => r.phone)]) : null,
          createdAt: new Date(now()).toISOString(),
        };
        doc.identities.push(identity);
        return identity;
      });
    },
    async deleteIdentity(uuid: string): Promise<void> {
      await mutate((doc) => {
        const gone = doc.identities.find((i) => i.uuid === uuid);
        const retired = resting(doc);
        if (gone !== undefined && quarantineMs > 0) retired.push({ email: gone.email, phone: gone.phone, at: new Date(now()).toISOString() });
        doc.identities = doc.identities.filter((i) => i.uuid !== uuid);
      });
      await inboxes.deleteInbox(uuid); // an identity deleted as an orphan takes its inbox with it
    },
    async mintScopedKey(_uuid: string, _label: string, options?: CallOptions): Promise<ScopedKey> {
      throw new ProviderError(`The local provider issues no Ravi keys${options?.worktree ? ` (worktree ${options.worktree})` : ''}`, { code: 'BAD_REQUEST' });
    },
    async listVaultSecrets(vault: string): Promise<Map<string, string>> {
      const doc = await readVault(options.stateDir);
      const secrets = doc.vaults[vault];
      if (secrets === undefined) {
        throw new ProviderError(`The local vault "${vault}" has no secrets yet; add them with: ravi-orchestrator secrets set KEY`, { code: 'VAULT_NOT_FOUND' });
      }
      return new Map(Object.entries(secrets));
    },
    async listEmails(uuid: string, options?: ListMessagesOptions): Promise<EmailMessage[]> {
      await assertKnown(uuid, options);
      return receivedSince(await inboxes.listEmails(uuid, { unreadOnly: options?.unreadOnly ?? false }), options?.since);
    },
    async listSms(uuid: string, options?: ListMessagesOptions): Promise<SmsMessage[]> {
      await assertKnown(uuid, options);
      return receivedSince(await inboxes.listSms(uuid, { unreadOnly: options?.unreadOnly ?? false }), options?.since);
    },
  };
}

function unknownIdentity(uuid: string, options?: CallOptions): ProviderError {
  return new ProviderError(`No local identity has the uuid ${uuid}${where(options)}`, { code: 'NOT_FOUND' });
}

function where(options?: CallOptions): string {
  return options?.worktree ? ` (worktree ${options.worktree})` : '';
}

/** The local identity that owns an address or phone number (what the mail servers deliver to). */
export async function findLocalIdentity(stateDir: string, match: { email?: string; phone?: string }): Promise<Identity | null> {
  const doc = await readJsonDocument(localPaths(stateDir).identities, identitiesSchema, () => ({ version: 1 as const, identities: [] }));
  const email = match.email?.toLowerCase();
  return doc.identities.find((i) => (email !== undefined && i.email.toLowerCase() === email) || (match.phone !== undefined && i.phone === match.phone)) ?? null;
}

export function readVault(stateDir: string): Promise<VaultDocument> {
  return readJsonDocument(localPaths(stateDir).vault, vaultSchema, () => ({ version: 1 as const, vaults: {} }));
}

export function writeVault(stateDir: string, doc: VaultDocument): Promise<void> {
  return writeJsonDocument(localPaths(stateDir).vault, doc);
}

function receivedSince<T extends { created_dt: string }>(messages: T[], since: string | null | undefined): T[] {
  if (since == null) return messages;
  const from = Date.parse(since);
  return messages.filter((m) => Date.parse(m.created_dt) >= from);
}

/** `<name>@agents.localhost`, with a numeric suffix when the address is taken (or resting after a delete). */
function uniqueEmail(name: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  for (let n = 1; ; n += 1) {
    const email = `${n === 1 ? name : `${name}.${n}`}@${LOCAL_EMAIL_DOMAIN}`;
    if (!taken.has(email)) return email;
  }
}
