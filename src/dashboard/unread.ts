/**
 * Unread message counts per identity for the dashboard. Against the real Ravi service each count is two
 * API calls per agent, so counts are cached for a while: a live page must not turn into a polling load.
 */
import type { Provider } from '../providers/types.js';
import { mapConcurrent } from '../util/map-concurrent.js';

export interface UnreadCounts {
  readonly email: number;
  readonly sms: number;
}

export interface UnreadCounter {
  /** Counts for these identities; an identity whose count could not be read is absent. */
  countsFor(uuids: readonly string[]): Promise<Map<string, UnreadCounts>>;
}

const CONCURRENCY = 4;

export function createUnreadCounter(provider: () => Provider, options: { ttlMs: number; now?: () => number }): UnreadCounter {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { counts: UnreadCounts; at: number }>();
  return {
    async countsFor(uuids) {
      const result = new Map<string, UnreadCounts>();
      const stale = uuids.filter((uuid) => {
        const hit = cache.get(uuid);
        if (hit !== undefined && now() - hit.at < options.ttlMs) result.set(uuid, hit.counts);
        return !result.has(uuid);
      });
      await mapConcurrent(stale, CONCURRENCY, async (uuid) => {
        try {
          const [emails, sms] = await Promise.all([
            provider().listEmails(uuid, { unreadOnly: true }),
            provider().listSms(uuid, { unreadOnly: true }),
          ]);
          const counts = { email: emails.length, sms: sms.length };
          cache.set(uuid, { counts, at: now() });
          result.set(uuid, counts);
        } catch {
          // Shown as unknown; the identity rows and the rest of the page still render.
        }
      });
      for (const uuid of cache.keys()) if (!uuids.includes(uuid)) cache.delete(uuid);
      return result;
    },
  };
}
