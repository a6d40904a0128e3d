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
const identitiesSchema = z.object({ version: z.literal(1), identities: z.array(identitySchema) });
const vaultSchema = z.object({ version: z.literal(1), vaults: z.record(z.string(), z.record(z.string(), z.string())) });
export type VaultDocument = z.infer<typeof vaultSchema>;

export interface LocalProviderOptions {
  readonly stateDir: string;
  /** Give new identities a phone number. @default true */
  readonly provisionPhone?: boolean;
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
        const identity: Identity = {
          uuid: randomUUID(),
          name: request.name,
          email: uniqueEmail(request.name, doc.identities),
          phone: request.provisionPhone ? allocatePhone(doc.identities.map((i) => i.phone)) : null,
          createdAt: new Date().toISOString(),
        };
        doc.identities.push(identity);
        return identity;
      });
    },
    async deleteIdentity(uuid: string): Promise<void> {
      await mutate((doc) => {
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
      return inboxes.listEmails(uuid, { unreadOnly: options?.unreadOnly ?? false });
    },
    async listSms(uuid: string, options?: ListMessagesOptions): Promise<SmsMessage[]> {
      await assertKnown(uuid, options);
      return inboxes.listSms(uuid, { unreadOnly: options?.unreadOnly ?? false });
    },
    async markRead(kind: 'email' | 'sms', uuid: string, messageId: string, options?: CallOptions): Promise<void> {
      await assertKnown(uuid, options);
      if (await inboxes.markRead(kind, uuid, messageId)) return;
      throw new ProviderError(`The local ${kind === 'sms' ? 'SMS' : 'email'} inbox has no message ${messageId}${where(options)}`, { code: 'NOT_FOUND' });
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

/** `<name>@agents.localhost`, with a numeric suffix in the unlikely case the address is taken. */
function uniqueEmail(name: string, existing: readonly Identity[]): string {
  const taken = new Set(existing.map((i) => i.email));
  for (let n = 1; ; n += 1) {
    const email = `${n === 1 ? name : `${name}.${n}`}@${LOCAL_EMAIL_DOMAIN}`;
    if (!taken.has(email)) return email;
  }
}
