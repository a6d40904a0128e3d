/**
 * One line per action, Terraform style: `+` create an identity, `>` lease one from the pool, `<` end a
 * lease (the identity returns to the pool), `~` update, `-` delete; paths relative to the worktree.
 */
import { homedir } from 'node:os';
import { relative } from 'node:path';
import type { Action } from '../../reconcile/actions.js';
import { formatDuration } from '../../reconcile/plan-leftovers.js';
import { formatBlock } from '../../ports/port-slots.js';

export type ActionSymbol = '+' | '>' | '<' | '~' | '-' | ' ';

export interface ActionLine {
  readonly symbol: ActionSymbol;
  readonly text: string;
}

export function describeAction(action: Action): ActionLine {
  switch (action.type) {
    case 'create-identity':
      return { symbol: '+', text: `identity ${action.name}${action.recreate ? ' (the one it held vanished from the provider)' : ' (no idle identity in the pool)'}` };
    case 'lease-identity':
      return { symbol: '>', text: `lease ${action.name} from the pool${action.idleMs === null ? '' : ` (idle ${formatDuration(action.idleMs)})`}` };
    case 'release-lease':
      return { symbol: '<', text: `release ${action.name} to the pool (${action.reason})` };
    case 'adopt-identity':
      return { symbol: '~', text: `adopt identity ${action.name} (created before an interrupted run)` };
    case 'write-scoped-key':
      return { symbol: '~', text: `${withinWorktree(action.worktreePath, action.file)}: ${action.reason}` };
    case 'write-env': {
      const keys = action.changedKeys.length > 0 ? ` (${action.changedKeys.join(', ')})` : '';
      const legacy = action.removedLegacyLines > 0 ? `, ${action.removedLegacyLines} legacy line(s) removed` : '';
      return { symbol: '~', text: `${withinWorktree(action.worktreePath, action.file)}${keys}${legacy}` };
    }
    case 'ensure-excluded':
      return { symbol: '~', text: `info/exclude: ignore ${action.patterns.join(' ')}` };
    case 'claim-repo':
      return { symbol: ' ', text: action.takeOver ? 'take the repo over from the state dir that managed it' : 'this state dir manages the repo from now on' };
    case 'delete-identity':
      return { symbol: '-', text: `identity ${action.name} (${action.reason})` };
    case 'forget-identity':
      return { symbol: ' ', text: `forget ${action.name}: ${action.reason}` };
    case 'forget-worktree':
      return { symbol: ' ', text: 'forget the released worktree: it is gone' };
    case 'revive-worktree':
      return { symbol: ' ', text: 'a setup asks again after a teardown' };
    case 'mark-orphan':
      return { symbol: ' ', text: `${action.name}: worktree gone since ${action.since}` };
    case 'clear-orphan':
      return { symbol: ' ', text: `${action.name}: worktree is back` };
    case 'update-lease':
      return { symbol: ' ', text: `${action.name}: lease record updated` };
    case 'assign-ports':
      return { symbol: '>', text: `ports ${formatBlock(action)}` };
    case 'release-ports':
      return { symbol: '<', text: `release ports ${formatBlock(action)} (${action.reason})` };
    case 'update-ports':
      return { symbol: ' ', text: action.orphanedSince === null ? 'ports record updated' : `ports: worktree gone since ${action.orphanedSince}` };
  }
}

function withinWorktree(worktreePath: string | null, file: string): string {
  if (worktreePath === null) return displayPath(file);
  const rel = relative(worktreePath, file);
  return rel.startsWith('..') ? displayPath(file) : rel;
}

/** `~/code/app` rather than `/home/me/code/app`. */
export function displayPath(path: string): string {
  const home = homedir();
  return home !== '/' && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}
