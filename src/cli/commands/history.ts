/**
 * `history [--worktree P] [--identity N] [--since 1d] [--json]`: the audit trail. A deleted worktree's history
 * stays readable, so --worktree here is a filter that takes any path, not only a live worktree.
 */
import { resolve } from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { invalidValue, stringFlag, valueFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { CONFIG_FLAGS, json } from '../shared-flags.js';

export default defineCommand({
  summary: 'the audit trail: identities created, leases started and ended; env files written; codes handed out',
  description:
    'The audit trail, oldest first: identity created / adopted / deleted (or kept, where the provider refuses) and why, ' +
    'lease started / ended (which worktree held which identity, when), scoped key minted, env file written ' +
    '(which keys changed, which secrets by name), a code or link handed to an agent (the message id, never the value), ' +
    'errors. A deleted worktree\'s history stays readable.',
  flags: {
    worktree: stringFlag({ valueName: 'PATH', help: 'only records of this worktree (it may no longer exist)', complete: 'dir' }),
    identity: stringFlag({ valueName: 'NAME', help: 'only records of this identity' }),
    since: valueFlag({
      valueName: 'DURATION',
      help: 'only records newer than this (1d, 12h, 30m)',
      convert: (text, name) => {
        try {
          return parseDuration(text);
        } catch {
          throw invalidValue(name, 'a duration such as 1d, 12h or 30m', text);
        }
      },
    }),
    ...CONFIG_FLAGS,
    json,
  },
  examples: ['history', 'history --worktree ~/code/app-worktrees/old --json', 'history --identity ws-app-feat-x --since 1d'],
  async run(input) {
    const [{ createCommandContext }, { readAudit }, { describeAuditDetail }, { formatTable }, { displayPath }] = await Promise.all([
      import('../context.js'),
      import('../../audit/audit-log.js'),
      import('../../audit/describe-detail.js'),
      import('../format/table.js'),
      import('../format/describe-action.js'),
    ]);
    const { io, flags } = input;
    // The filter is not resolved as a live worktree, so set-up must not see it.
    const context = await createCommandContext({ ...input, flags: { ...flags, worktree: null } }, { scope: 'state-only' });
    const since = flags.since === null ? null : Date.now() - flags.since;
    const worktree = flags.worktree === null ? null : resolve(io.cwd, flags.worktree);
    const records = await readAudit(context.config.stateDir, { worktree, identity: flags.identity, since });
    if (flags.json) {
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
  },
});
