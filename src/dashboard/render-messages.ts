/**
 * The message view's HTML: a worktree's messages, and one message. Pure. A message is hostile text:
 * every part of it goes through escapeHtml, its HTML part included, which is shown twice as text (what a
 * reader would see, and the escaped source) and never rendered. Links are listed as text, not as links:
 * following one from here would spend a one-time sign-in or verification link that belongs to the agent,
 * and tell the sender the message was opened.
 */
import { htmlToText } from '../agent/html-text.js';
import { listLinks } from '../agent/extract-link.js';
import { displayPath } from '../cli/format/describe-action.js';
import { escapeHtml, formatTime, layout, type SkipTarget } from './render.js';
import type { DashboardWorktree } from './snapshot.js';
import type { ShownMessage } from './worktree-messages.js';

const SKIP: SkipTarget = { href: '#content', label: 'Skip to the messages' };
/** How much of a body the list shows in place of a subject. */
const PREVIEW_CHARS = 80;
/** Sources beyond this are cut on the page (a newsletter can be megabytes); the text parts are not. */
const MAX_SOURCE_CHARS = 200_000;

export function renderMessageList(row: DashboardWorktree, messages: readonly ShownMessage[]): string {
  const rows = messages
    .map(
      (m) => `<tr data-kind="${m.kind}" data-id="${escapeHtml(m.id)}"><td class="nowrap"><time datetime="${escapeHtml(m.receivedAt)}">${escapeHtml(formatTime(m.receivedAt))}</time></td>` +
        `<td>${m.kind === 'email' ? 'Email' : 'SMS'}${m.read ? '' : ' <span class="state state-pending">unread</span>'}</td><td>${escapeHtml(m.from)}</td>` +
        `<td><a href="${messageHref(row, m)}">${escapeHtml(title(m))}</a></td></tr>`,
    )
    .join('\n');
  return layout(
    `Messages of ${row.identity ?? 'a worktree'} · ravi-orchestrator`,
    `${header(row, `Messages of ${row.identity ?? 'this worktree'}`)}
<main id="content">
<h2 id="messages-h">Email and SMS, newest first</h2>
<div class="scroll" tabindex="0" role="region" aria-labelledby="messages-h">
<table class="messages">
<caption class="visually-hidden">Messages received by ${escapeHtml(row.identity ?? '')}, newest first</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Kind</th><th scope="col">From</th><th scope="col">Subject or text</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="4">No messages yet.</td></tr>'}
</tbody>
</table>
</div>
</main>`,
    SKIP,
  );
}

export function renderMessage(row: DashboardWorktree, message: ShownMessage): string {
  const links = listLinks({ text: message.text, html: message.html });
  const sections = [
    section('text-h', message.kind === 'email' ? 'Text part' : 'Text', message.text === '' ? '<p class="muted">(none)</p>' : pre(message.text, 'message-text')),
  ];
  if (message.html !== '') {
    sections.push(section('html-h', 'HTML part, as text', pre(htmlToText(message.html), 'message-html-text')));
  }
  sections.push(
    section(
      'links-h',
      'Links',
      links.length === 0
        ? '<p class="muted">No links.</p>'
        : `<p class="meta">Listed as text: opening one here would use up a link meant for the agent.</p>
<ul class="links">${links.map((l) => `<li><code>${escapeHtml(l.url)}</code>${l.label === '' ? '' : ` <span class="muted">(${escapeHtml(clip(l.label, 120))})</span>`}</li>`).join('')}</ul>`,
    ),
  );
  if (message.html !== '') {
    const cut = message.html.length > MAX_SOURCE_CHARS;
    sections.push(`<details class="source"><summary>HTML source (shown as text, never rendered)</summary>
${pre(cut ? message.html.slice(0, MAX_SOURCE_CHARS) : message.html, 'message-html-source')}${cut ? `<p class="meta">Cut at ${MAX_SOURCE_CHARS} of ${message.html.length} characters.</p>` : ''}
</details>`);
  }
  return layout(
    `${title(message)} · ravi-orchestrator`,
    `${header(row, title(message))}
<main id="content" class="message" data-kind="${message.kind}" data-id="${escapeHtml(message.id)}">
<dl class="facts">
<dt>From</dt><dd>${escapeHtml(message.from)}</dd>
<dt>To</dt><dd>${escapeHtml(message.to)}</dd>
<dt>Received</dt><dd><time datetime="${escapeHtml(message.receivedAt)}">${escapeHtml(formatTime(message.receivedAt))}</time></dd>
<dt>Kind</dt><dd>${message.kind === 'email' ? 'Email' : 'SMS'}${message.read ? ', read' : ', unread'}</dd>
</dl>
${sections.join('\n')}
<p><a href="/messages?worktree=${encodeURIComponent(row.worktree ?? '')}">All messages of ${escapeHtml(row.identity ?? 'this worktree')}</a></p>
</main>`,
    SKIP,
  );
}

function header(row: DashboardWorktree, heading: string): string {
  const where = [row.email, row.phone].filter((v): v is string => v !== null && v !== '').map((v) => `<code>${escapeHtml(v)}</code>`).join(' · ');
  return `<header>
<div class="top">
  <h1>${escapeHtml(heading)}</h1>
  <a href="/" class="button">All worktrees</a>
</div>
<p class="meta">Worktree <code>${escapeHtml(displayPath(row.worktree ?? ''))}</code>${where === '' ? '' : ` · ${where}`}</p>
</header>`;
}

function messageHref(row: DashboardWorktree, m: ShownMessage): string {
  const query = new URLSearchParams({ worktree: row.worktree ?? '', kind: m.kind, id: m.id });
  return escapeHtml(`/message?${query.toString()}`);
}

function title(m: ShownMessage): string {
  if (m.kind === 'email') return m.subject.trim() === '' ? '(no subject)' : m.subject;
  return `SMS: ${clip(m.text.replace(/\s+/g, ' ').trim(), PREVIEW_CHARS) || '(empty)'}`;
}

function section(id: string, heading: string, body: string): string {
  return `<section aria-labelledby="${id}"><h2 id="${id}">${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

function pre(text: string, className: string): string {
  return `<pre class="${className}">${escapeHtml(text)}</pre>`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
