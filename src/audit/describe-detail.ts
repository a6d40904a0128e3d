/** One line for an audit record's detail (`keys=A,B reason=teardown`), shared by `history` and the dashboard. */
import type { AuditRecord } from './audit-log.js';

export function describeAuditDetail(detail: AuditRecord['detail']): string {
  return Object.entries(detail)
    .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}
