/**
 * The embedded default provider: identities, addresses at a local domain, fictional phone numbers
 * and a vault, stored under the state dir. No account, no network; the same engine and guarantees.
 */
import { join } from 'node:path';
import type { CallOptions, CreateIdentityRequest, EmailMessage, Identity, ListMessagesOptions, Provider, ScopedKey, SmsMessage } from '../types.js';
import { ProviderError } from '../../util/errors.js';
import type { LocalIdentities, LocalIdentityOp, Retired } from './local-identity-store.js';
import type { JournaledStore } from '../../files/journaled-store.js';
import type { AddressesInUse } from './addresses-in-use.js';
import type { InboxStore } from '../../mail/inbox-store.js';

/** The local vault file: secrets by vault name, then by key. */
export interface VaultDocument {
  version: 1;
  vaults: Record<string, Record<string, string>>;
}

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
  // Changes are made one at a time in memory; their writes are shared: changes made while an append is under way
  // go out together in the next one (group commit: one fdatasync for every create in flight, where a chain of one
  // append each made the cold pass wait for N fdatasyncs in a row). Cross-process writers hold the state lock.
  let changing: Promise<unknown> = Promise.resolve();
  let cached: Store | null = null;
  /** Changes recorded whose append has not settled yet. */
  let unsettled = 0;
  const store = async (): Promise<Store> => {
    // While a change of ours is still being written this process holds the state lock (a pass awaits all its
    // calls) and the open store is the truth; checking would wait for that append and split the batch.
    if (cached !== null && (unsettled > 0 || (await cached.isCurrent()))) return cached;
    cached = await openStore(paths.identities);
    return cached;
  };
  const inOrder = <T>(work: () => Promise<T>): Promise<T> => {
    const next = changing.then(work);
    changing = next.catch(() => {});
    return next;
  };
  /** `load`: modules the change needs, loaded in its place in line (a create's first call), so the order of calls holds. */
  const mutate = async <T, L = undefined>(change: (state: LocalIdentities, current: Store, loaded: L) => T, load?: () => Promise<L>): Promise<T> => {
    const { current, result } = await inOrder(async () => {
      const loaded = load === undefined ? (undefined as L) : await load();
      const current = await store();
      const result = change(current.state, current, loaded);
      unsettled += 1;
      return { current, result };
    });
    try {
      await current.flush(); // resolves once this change is on disk, with whatever joined its append
    } finally {
      unsettled -= 1;
    }
    // Compaction rewrites the snapshot: only when no change is being written, and before any next one is made.
    await inOrder(async () => {
      if (unsettled === 0 && current === cached) await current.compactIfLarge();
    });
    return result;
  };
  const readIdentities = async (): Promise<Identity[]> => {
    // After the changes made so far are on disk: a listing does not show an identity a crash could still take back.
    const current = await inOrder(store);
    await current.flush();
    return [...current.state.identities.values()];
  };

  // Each identity's inbox is filled by the local SMTP server and SMS endpoint (src/mail/).
  let inboxStore: Promise<InboxStore> | null = null;
  const inboxes = (): Promise<InboxStore> => (inboxStore ??= import('../../mail/inbox-store.js').then(({ createInboxStore }) => createInboxStore(options.stateDir)));
  const assertKnown = async (uuid: string, options?: CallOptions): Promise<void> => {
    if (!(await readIdentities()).some((i) => i.uuid === uuid)) throw unknownIdentity(uuid, options);
  };

  const now = options.now ?? Date.now;
  const quarantineMs = options.quarantineMs ?? 0;
  /** What the open store's identities hold, read once per store instance (a reopened store is read again). */
  let addresses: { store: Store; used: AddressesInUse } | null = null;
  const inUse = (current: Store, tools: CreateTools): AddressesInUse => {
    if (addresses?.store !== current) addresses = { store: current, used: new tools.AddressesInUse(current.state.identities.values()) };
    return addresses.used;
  };
  /** Addresses and numbers of deleted identities still resting; ones whose quarantine passed are forgotten. */
  const resting = (state: LocalIdentities, current: Store): Retired[] => {
    const still = state.retired.filter((r) => Date.parse(r.at) + quarantineMs > now());
    if (still.length !== state.retired.length) current.record({ op: 'retired', retired: still });
    return still;
  };

  return {
    kind: 'local',
    ledgerScope: 'local',
    issuesScopedKeys: false,
    listIdentities(): Promise<Identity[]> {
      return readIdentities();
    },
    createIdentity(request: CreateIdentityRequest): Promise<Identity> {
      return mutate((state, current, tools) => {
        const retired = resting(state, current);
        const used = inUse(current, tools);
        const identity: Identity = {
          uuid: tools.randomUuid(),
          name: request.name,
          email: used.email(request.name, retired),
          phone: request.provisionPhone ? used.phone(retired) : null,
          createdAt: new Date(now()).toISOString(),
        };
        current.record({ op: 'put', identity });
        used.add(identity);
        return identity;
      }, createTools);
    },
    async deleteIdentity(uuid: string): Promise<void> {
      await mutate((state, current) => {
        const gone = state.identities.get(uuid);
        resting(state, current);
        if (gone === undefined) return;
        current.record({ op: 'remove', uuid, retired: quarantineMs > 0 ? { email: gone.email, phone: gone.phone, at: new Date(now()).toISOString() } : null });
        addresses = null; // read again at the next create (deletes are rare; a count per address is not worth it)
      });
      await (await inboxes()).deleteInbox(uuid); // an identity deleted as an orphan takes its inbox with it
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
      return receivedSince(await (await inboxes()).listEmails(uuid, { unreadOnly: options?.unreadOnly ?? false }), options?.since);
    },
    async listSms(uuid: string, options?: ListMessagesOptions): Promise<SmsMessage[]> {
      await assertKnown(uuid, options);
      return receivedSince(await (await inboxes()).listSms(uuid, { unreadOnly: options?.unreadOnly ?? false }), options?.since);
    },
  };
}

type Store = JournaledStore<LocalIdentities, LocalIdentityOp>;

interface CreateTools {
  readonly AddressesInUse: typeof AddressesInUse;
  readonly randomUuid: () => string;
}

let createToolsLoading: Promise<CreateTools> | null = null;

/** What only a create uses, loaded by the first one: `whoami` and `otp` only read (and never load these). */
function createTools(): Promise<CreateTools> {
  createToolsLoading ??= Promise.all([import('./addresses-in-use.js'), import('../../util/random.js')]).then(([addresses, random]) => ({
    AddressesInUse: addresses.AddressesInUse,
    randomUuid: random.randomUuid,
  }));
  return createToolsLoading;
}

/** A file that cannot be trusted is a failed listing (never an empty one that would look like deleted identities). */
async function openStore(file: string): Promise<Store> {
  try {
    const { openLocalIdentities } = await import('./local-identity-store.js');
    return await openLocalIdentities(file);
  } catch (error) {
    throw new ProviderError((error as Error).message, { code: 'BAD_RESPONSE', cause: error });
  }
}

function unknownIdentity(uuid: string, options?: CallOptions): ProviderError {
  return new ProviderError(`No local identity has the uuid ${uuid}${where(options)}`, { code: 'NOT_FOUND' });
}

function where(options?: CallOptions): string {
  return options?.worktree ? ` (worktree ${options.worktree})` : '';
}

/** The local identity that owns an address or phone number (what the mail servers deliver to). */
export async function findLocalIdentity(stateDir: string, match: { email?: string; phone?: string }): Promise<Identity | null> {
  const identities = (await openStore(localPaths(stateDir).identities)).state.identities.values();
  const email = match.email?.toLowerCase();
  return [...identities].find((i) => (email !== undefined && i.email.toLowerCase() === email) || (match.phone !== undefined && i.phone === match.phone)) ?? null;
}

export async function readVault(stateDir: string): Promise<VaultDocument> {
  const [{ readJsonDocument }, { vaultSchema }] = await Promise.all([import('./local-store.js'), import('./local-vault-schema.js')]);
  return readJsonDocument(localPaths(stateDir).vault, vaultSchema, () => ({ version: 1 as const, vaults: {} }));
}

export async function writeVault(stateDir: string, doc: VaultDocument): Promise<void> {
  const { writeJsonDocument } = await import('./local-store.js');
  return writeJsonDocument(localPaths(stateDir).vault, doc);
}

function receivedSince<T extends { created_dt: string }>(messages: T[], since: string | null | undefined): T[] {
  if (since == null) return messages;
  const from = Date.parse(since);
  return messages.filter((m) => Date.parse(m.created_dt) >= from);
}
