/**
 * The dashboard's HTML, rendered on the server from a snapshot. Pure. The tables are complete without
 * JavaScript; the script only swaps in the `#live` fragment that the server pushes. Every value goes
 * through `escapeHtml`: worktree paths and branch names are user-controlled text.
 */
import { describeAuditDetail } from '../audit/describe-detail.js';
import { displayPath } from '../cli/format/describe-action.js';
import type { DashboardRepo, DashboardSnapshot, DashboardWorktree } from './snapshot.js';
import type { PassSummary } from '../daemon/status-file.js';

export interface PageOptions {
  /** Put in every form; the server refuses a POST without it. */
  readonly csrf: string;
  /** A one-off message after an action (what was done, or why it failed). */
  readonly notice?: { readonly kind: 'ok' | 'error'; readonly text: string } | null;
}

export function renderPage(snapshot: DashboardSnapshot, options: PageOptions): string {
  return layout(
    'ravi-orchestrator',
    `<header class="top">
  <h1>ravi-orchestrator</h1>
  <form method="post" action="/actions/reconcile" class="inline">
    ${csrfField(options.csrf)}
    <button type="submit">Reconcile now</button>
  </form>
</header>
<div id="notice" role="status" aria-live="polite">${renderNotice(options.notice ?? null)}</div>
<main id="live">
${renderLive(snapshot)}
</main>
<footer>
  <p>Updated <time id="updated" datetime="${escapeHtml(snapshot.generatedAt)}">${escapeHtml(formatTime(snapshot.generatedAt))}</time>.
  <span class="js-only" hidden>This page updates itself as worktrees and identities change.</span>
  <noscript>Reload the page to see changes.</noscript></p>
</footer>`,
  );
}

/** The part of the page that live updates replace. */
export function renderLive(snapshot: DashboardSnapshot): string {
  const problems =
    snapshot.problems.length === 0 && snapshot.daemon.configError === null
      ? ''
      : `<section class="problems" aria-labelledby="problems-h"><h2 id="problems-h">Problems</h2><ul>${[
          ...(snapshot.daemon.configError === null ? [] : [`Config: ${snapshot.daemon.configError}`]),
          ...snapshot.problems,
        ]
          .map((p) => `<li>${escapeHtml(p)}</li>`)
          .join('')}</ul></section>`;
  const repos = snapshot.repos.map((repo, index) => renderRepo(repo, index)).join('\n');
  return `<p class="meta" id="meta">${renderMeta(snapshot)}</p>
${problems}
${repos || '<p>No repository is configured.</p>'}
${renderPool(snapshot)}
${renderAudit(snapshot)}`;
}

function renderMeta(snapshot: DashboardSnapshot): string {
  const daemon = snapshot.daemon.running
    ? `daemon running (pid ${snapshot.daemon.pid ?? '?'})`
    : 'daemon not running: changes appear after a reconcile';
  return `Provider <strong>${escapeHtml(snapshot.provider)}</strong> · ${escapeHtml(daemon)} · state in <code>${escapeHtml(displayPath(snapshot.stateDir))}</code>`;
}

function renderRepo(repo: DashboardRepo, index: number): string {
  const id = `repo-${index}`;
  const managed = repo.worktrees.filter((w) => w.managed).length;
  const head = `<h2 id="${id}">${escapeHtml(displayPath(repo.path))}</h2>
<p class="meta">${managed} managed worktree${managed === 1 ? '' : 's'} · ${renderLastPass(repo.lastPass, repo.passError)}</p>`;
  if (repo.error !== null) {
    return `<section>${head}<p class="error">Cannot list worktrees: ${escapeHtml(repo.error)}</p></section>`;
  }
  const rows = repo.worktrees.map((row) => renderWorktreeRow(row, repo.path)).join('\n');
  // The scroll region below is the landmark, named by the heading; a named section would be a second one.
  return `<section>
${head}
<div class="scroll" tabindex="0" role="region" aria-labelledby="${id}">
<table class="fleet">
<caption class="visually-hidden">Worktrees of ${escapeHtml(displayPath(repo.path))} and their identities</caption>
<thead><tr><th scope="col">Worktree</th><th scope="col">Branch</th><th scope="col">Identity</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Ports</th><th scope="col">Env</th><th scope="col">Unread</th><th scope="col">Detail</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${rows || '<tr><td colspan="10">No worktrees.</td></tr>'}
</tbody>
</table>
</div>
</section>`;
}

function renderWorktreeRow(row: DashboardWorktree, repoPath: string): string {
  const where = row.worktree === null ? '<em>(gone)</em>' : `<span title="${escapeHtml(row.worktree)}">${breakAfterSlashes(nearPath(row.worktree, repoPath))}</span>`;
  const canRelease = row.worktree !== null && row.managed && row.identity !== null && row.env !== 'released';
  const action = canRelease
    ? `<a class="button danger" href="/release?worktree=${encodeURIComponent(row.worktree as string)}" aria-label="Release the identity of ${escapeHtml(displayPath(row.worktree as string))}">Release…</a>`
    : '';
  // The same rows that can be released have messages to show (worktree-messages.ts decides which).
  const messages = canRelease
    ? `<a href="/messages?worktree=${encodeURIComponent(row.worktree as string)}" aria-label="Messages of ${escapeHtml(displayPath(row.worktree as string))}">Messages</a>`
    : '';
  return `<tr data-worktree="${escapeHtml(row.worktree ?? '')}" data-identity="${escapeHtml(row.identity ?? '')}">
<th scope="row">${where}</th><td>${escapeHtml(row.branch) || '<span class="muted">-</span>'}</td><td class="nowrap">${cell(row.identity)}</td><td>${row.email === null ? cell(null) : escapeHtml(row.email).replace('@', '<wbr>@')}</td><td class="nowrap">${cell(row.phone)}</td><td class="nowrap">${cell(row.ports)}</td>
<td><span class="state state-${row.env.replace(/\s+/g, '-')}">${escapeHtml(row.env)}</span></td><td>${renderUnread(row)}${messages === '' ? '' : `<br>${messages}`}</td><td class="detail">${escapeHtml(row.env === 'in sync' ? '' : row.detail)}</td><td>${action}</td></tr>`;
}

/** Long paths wrap at their slashes, not in the middle of a folder name. */
function breakAfterSlashes(path: string): string {
  return escapeHtml(path).replaceAll('/', '/<wbr>');
}

/** Worktrees usually sit next to the repo (`app-worktrees/x`): show them from the repo's parent; the full path is the title. */
function nearPath(worktree: string, repoPath: string): string {
  const parent = repoPath.slice(0, repoPath.lastIndexOf('/') + 1);
  return parent.length > 1 && worktree.startsWith(parent) ? worktree.slice(parent.length) : displayPath(worktree);
}

function renderUnread(row: DashboardWorktree): string {
  if (row.unread === null) return '<span class="muted" title="unknown">-</span>';
  const { email, sms } = row.unread;
  if (email === 0 && sms === 0) return '<span class="muted">0</span>';
  return `<strong>${email}</strong> email, <strong>${sms}</strong> SMS`;
}

function renderLastPass(pass: PassSummary | null, error: string | null): string {
  if (error !== null) return `<span class="error">last pass failed: ${escapeHtml(error)}</span>`;
  if (pass === null) return 'no daemon pass yet';
  const changes = `${pass.created} created, ${pass.leased ?? 0} leased, ${pass.released ?? 0} released, ${pass.updated} updated, ${pass.deleted} deleted${pass.failed > 0 ? `, ${pass.failed} failed` : ''}`;
  return `last pass <time datetime="${escapeHtml(pass.startedAt)}">${escapeHtml(formatTime(pass.startedAt))}</time> (${pass.durationMs} ms): ${escapeHtml(changes)}`;
}

/** Idle identities: leasable now, or resting in quarantine until when. */
function renderPool(snapshot: DashboardSnapshot): string {
  if (snapshot.pool.length === 0) return '';
  const rows = snapshot.pool
    .map((p) => `<tr><th scope="row" class="nowrap">${escapeHtml(p.identity)}</th><td>${p.email === null ? cell(null) : escapeHtml(p.email).replace('@', '<wbr>@')}</td><td class="nowrap">${cell(p.phone)}</td><td>${escapeHtml(p.state)}${p.availableAt === null ? '' : ` until <time datetime="${escapeHtml(p.availableAt)}">${escapeHtml(formatTime(p.availableAt))}</time>`}</td><td>${p.lastWorktree === null ? '<span class="muted">-</span>' : escapeHtml(displayPath(p.lastWorktree))}</td></tr>`)
    .join('\n');
  return `<section>
<h2 id="pool-h">Identity pool</h2>
<p class="meta">Idle identities, leased again to new worktrees (after the quarantine).</p>
<div class="scroll" tabindex="0" role="region" aria-labelledby="pool-h">
<table class="pool">
<caption class="visually-hidden">Idle identities and when each may be leased again</caption>
<thead><tr><th scope="col">Identity</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">State</th><th scope="col">Last worktree</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
</section>`;
}

function renderAudit(snapshot: DashboardSnapshot): string {
  const rows = snapshot.audit
    .map(
      (r) => `<tr class="event-${escapeHtml(r.type.replace('.', '-'))}"><td><time datetime="${escapeHtml(r.time)}">${escapeHtml(formatTime(r.time))}</time></td><td>${escapeHtml(r.type)}</td><td>${cell(r.identity)}</td><td>${r.worktree === null ? '<span class="muted">-</span>' : escapeHtml(displayPath(r.worktree))}</td><td class="detail">${escapeHtml(describeAuditDetail(r.detail))}</td></tr>`,
    )
    .join('\n');
  return `<section>
<h2 id="audit-h">Audit trail</h2>
<p class="meta">Newest first; <code>ravi-orchestrator history</code> shows all of it.</p>
<div class="scroll" tabindex="0" role="region" aria-labelledby="audit-h">
<table class="audit">
<caption class="visually-hidden">Lifecycle events, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Identity</th><th scope="col">Worktree</th><th scope="col">Detail</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">Nothing recorded yet.</td></tr>'}
</tbody>
</table>
</div>
</section>`;
}

/** The JavaScript-free confirmation step of a release. */
export function renderReleaseConfirm(row: DashboardWorktree, csrf: string): string {
  const where = displayPath(row.worktree ?? '');
  return layout(
    'Release identity? · ravi-orchestrator',
    `<main class="confirm">
<h1>Release ${escapeHtml(row.identity ?? 'the identity')}?</h1>
<p>This ends the lease of <code>${escapeHtml(where)}</code> on its identity now${row.email === null ? '' : ` (<code>${escapeHtml(row.email)}</code>)`}
and removes its block from the env file. The identity goes back to the pool, where another worktree may lease it after
the quarantine; the worktree itself is not touched, and <code>ravi-orchestrator reconcile --worktree</code> gives it an
identity again.</p>
<form method="post" action="/actions/release" class="inline">
  ${csrfField(csrf)}
  <input type="hidden" name="worktree" value="${escapeHtml(row.worktree ?? '')}">
  <button type="submit" class="danger">Release ${escapeHtml(row.identity ?? 'identity')}</button>
  <a href="/" class="button">Cancel</a>
</form>
</main>`,
  );
}

export function renderMessagePage(title: string, text: string): string {
  return layout(title, `<main class="confirm"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main>`);
}

/** Where the page's skip link leads: the fleet page's live region, or a page's own main content. */
export interface SkipTarget {
  readonly href: string;
  readonly label: string;
}

const SKIP_TO_WORKTREES: SkipTarget = { href: '#live', label: 'Skip to the worktrees' };

export function layout(title: string, body: string, skip: SkipTarget = SKIP_TO_WORKTREES): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<a class="skip" href="${escapeHtml(skip.href)}">${escapeHtml(skip.label)}</a>
${body}
</body>
</html>
`;
}

function renderNotice(notice: PageOptions['notice'] | null): string {
  if (notice == null) return '';
  return `<p class="notice notice-${notice.kind}">${escapeHtml(notice.text)}</p>`;
}

function csrfField(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
}

function cell(value: string | null): string {
  return value === null || value === '' ? '<span class="muted">-</span>' : escapeHtml(value);
}

/** `2026-11-24 17:31:21 UTC`: unambiguous without JavaScript; the script may localise it. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
