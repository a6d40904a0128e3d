/**
 * Unread message counts per lease for the dashboard: what the agent would see as unread (its own lease's
 * messages, not handed out yet). Against the real Ravi service each count is two API calls per agent,
 * so counts are cached for a while: a live page must not turn into a polling load.
 */
import type { Provider } from '../providers/types.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { leaseInbox, type Lease } from '../agent/lease-inbox.js';

export interface UnreadCounts {
  readonly email: number;
  readonly sms: number;
}

export interface UnreadCounter {
  /** Counts by lease id; a lease whose count could not be read is absent. */
  countsFor(leases: readonly Lease[]): Promise<Map<string, UnreadCounts>>;
}

const CONCURRENCY = 4;

export function createUnreadCounter(provider: () => Provider, options: { ttlMs: number; stateDir: () => string; now?: () => number }): UnreadCounter {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { counts: UnreadCounts; at: number }>();
  return {
    async countsFor(leases) {
      const result = new Map<string, UnreadCounts>();
      const stale = leases.filter((lease) => {
        const hit = cache.get(lease.leaseId);
        if (hit !== undefined && now() - hit.at < options.ttlMs) result.set(lease.leaseId, hit.counts);
        return !result.has(lease.leaseId);
      });
      await mapConcurrent(stale, CONCURRENCY, async (lease) => {
        try {
          const inbox = leaseInbox(provider(), options.stateDir(), lease);
          const [emails, sms] = await Promise.all([inbox.listEmails({ unreadOnly: true }), inbox.listSms({ unreadOnly: true })]);
          const counts = { email: emails.length, sms: sms.length };
          cache.set(lease.leaseId, { counts, at: now() });
          result.set(lease.leaseId, counts);
        } catch {
          // Shown as unknown; the identity rows and the rest of the page still render.
        }
      });
      const current = new Set(leases.map((lease) => lease.leaseId));
      for (const id of cache.keys()) if (!current.has(id)) cache.delete(id);
      return result;
    },
  };
}
