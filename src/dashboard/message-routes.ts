/**
 * The message view's two pages, `GET /messages?worktree=` and `GET /message?worktree=&kind=&id=`, behind
 * the same token, Host and CSP rules as every other page (server.ts checks them before routing here).
 * Only a worktree the fleet page lists can be named, and only messages that messagesForWorktree returns
 * for it can be shown: a guessed id of another identity's message is simply not found.
 */
import type { Logger } from '../util/logger.js';
import { renderMessagePage } from './render.js';
import { renderMessage, renderMessageList } from './render-messages.js';
import type { DashboardSnapshot, DashboardWorktree } from './snapshot.js';
import type { ShownMessage } from './worktree-messages.js';

/** What a worktree's view may show (worktree-messages.ts), null when it may show nothing. */
export type ReadMessages = (row: DashboardWorktree) => Promise<ShownMessage[] | null>;

export interface Page {
  readonly status: number;
  readonly html: string;
}

export const MESSAGE_PATHS: readonly string[] = ['/messages', '/message'];

export async function messagePage(path: string, query: URLSearchParams, snapshot: DashboardSnapshot, read: ReadMessages, logger: Logger): Promise<Page> {
  const row = findRow(snapshot, query.get('worktree'));
  let messages: ShownMessage[] | null = null;
  if (row !== null) {
    try {
      messages = await read(row);
    } catch (error) {
      logger.warn({ err: error, worktree: row.worktree }, 'dashboard could not read messages');
      return { status: 502, html: renderMessagePage('Messages unavailable', `The messages of ${row.identity ?? 'this worktree'} could not be read: ${(error as Error).message}`) };
    }
  }
  if (row === null || messages === null) {
    return { status: 404, html: renderMessagePage('No messages to show', 'That worktree has no identity whose messages this dashboard can show (it may be gone or released).') };
  }
  if (path === '/messages') return { status: 200, html: renderMessageList(row, messages) };
  const message = messages.find((m) => m.kind === query.get('kind') && m.id === query.get('id'));
  if (message === undefined) return { status: 404, html: renderMessagePage('Message not found', 'This worktree has no such message.') };
  return { status: 200, html: renderMessage(row, message) };
}

function findRow(snapshot: DashboardSnapshot, worktree: string | null): DashboardWorktree | null {
  if (worktree === null || worktree === '') return null;
  for (const repo of snapshot.repos) {
    const row = repo.worktrees.find((w) => w.worktree === worktree);
    if (row !== undefined) return row;
  }
  return null;
}
