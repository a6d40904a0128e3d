/**
 * The local provider's mail side as one unit: the SMTP server and the SMS endpoint on loopback,
 * delivering into the identities' inboxes, plus retention. Run by the daemon and by `mail serve`.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import { findLocalIdentity } from '../providers/local/local-provider.js';
import { createInboxStore, type InboxStore } from './inbox-store.js';
import { startSmtpServer, type RunningServer } from './smtp-server.js';
import { startSmsEndpoint } from './sms-endpoint.js';
import { letMemoryReducerSeeIdle } from '../util/memory-reducer.js';

export interface LocalMail {
  readonly smtp: RunningServer;
  readonly sms: RunningServer;
  readonly store: InboxStore;
  /** Removes messages past the retention policy; returns how many. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

export async function startLocalMail(config: Config, logger: Logger): Promise<LocalMail> {
  const store = idleAfterDelivery(createInboxStore(config.stateDir));
  const stateDir = config.stateDir;
  const smtp = await startSmtpServer({
    port: config.mail.smtpPort,
    maxMessageBytes: config.mail.maxMessageBytes,
    resolveRecipient: async (address) => (await findLocalIdentity(stateDir, { email: address }))?.uuid ?? null,
    store,
    logger: logger.child({ component: 'smtp' }),
  });
  let sms: RunningServer;
  try {
    sms = await startSmsEndpoint({
      port: config.mail.smsPort,
      resolveNumber: async (phone) => (await findLocalIdentity(stateDir, { phone }))?.uuid ?? null,
      store,
      logger: logger.child({ component: 'sms' }),
    });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  logger.info({ smtp: `${smtp.host}:${smtp.port}`, sms: `http://${sms.host}:${sms.port}/sms` }, 'local mail and SMS servers listening');
  letMemoryReducerSeeIdle();
  return {
    smtp,
    sms,
    store,
    prune: () => store.prune({ maxAgeMs: config.mail.maxAgeMs, maxMessages: config.mail.maxMessages }),
    close: async () => {
      await Promise.allSettled([smtp.close(), sms.close()]);
    },
  };
}

/** The store the servers deliver into: each delivery ends a burst of work, after which the process idles (memory-reducer.ts). */
function idleAfterDelivery(store: InboxStore): InboxStore {
  return {
    ...store,
    addEmail: (uuid, email) => store.addEmail(uuid, email).finally(letMemoryReducerSeeIdle),
    addSms: (uuid, sms) => store.addSms(uuid, sms).finally(letMemoryReducerSeeIdle),
  };
}
