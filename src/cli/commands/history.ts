/**
 * `history [--worktree P] [--identity N] [--since 1d] [--json]`: the audit trail. A deleted worktree's
 * history stays readable, so --worktree takes any path, not only a live worktree.
 */
import { resolve } from 'node:path';
import { readAudit } from '../../audit/audit-log.js';
import { describeAuditDetail } from '../../audit/describe-detail.js';
import { parseDuration } from '../../config/duration.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../args.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable } from '../format/table.js';
import { displayPath } from '../format/describe-action.js';

export async function historyCommand(context: CommandContext, rawWorktree: string | null): Promise<ExitCodeValue> {
  const { args, io } = context;
  let since: number | null = null;
  if (args.since !== null) {
    try {
      since = Date.now() - parseDuration(args.since);
    } catch {
      throw new UsageError(`--since takes a duration such as 1d, 12h or 30m (got "${args.since}")`);
    }
  }
  const worktree = rawWorktree === null ? null : resolve(io.cwd, rawWorktree);
  const records = await readAudit(context.config.stateDir, { worktree, identity: args.identity, since });
  if (args.json) {
    writeJson(io.stdout, records);
    return ExitCode.OK;
  }
  if (records.length === 0) {
    writeLine(io.stdout, 'No audit records match.');
    return ExitCode.OK;
  }
  const rows = records.map((r) => [r.time, r.type, r.identity ?? '-', r.worktree === null ? '-' : displayPath(r.worktree), describeAuditDetail(r.detail)]);
  for (const line of formatTable(['TIME', 'EVENT', 'IDENTITY', 'WORKTREE', 'DETAIL'], rows)) writeLine(io.stdout, line);
  return ExitCode.OK;
}
