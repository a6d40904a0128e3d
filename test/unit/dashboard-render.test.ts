import { describe, expect, it } from 'vitest';
import { escapeHtml, renderPage, renderReleaseConfirm } from '../../src/dashboard/render.js';
import { renderMessage, renderMessageList } from '../../src/dashboard/render-messages.js';
import type { DashboardSnapshot, DashboardWorktree } from '../../src/dashboard/snapshot.js';

const hostile = '<img src=x onerror=alert(1)>"\'&';

function row(overrides: Partial<DashboardWorktree> = {}): DashboardWorktree {
  return {
    repo: '/r', worktree: `/r/wt ${hostile}`, branch: `feat/${hostile}`, managed: true, identity: 'ws-r-wt', uuid: 'u-1',
    email: 'ws-r-wt@agents.localhost', phone: '+12015550100', leaseSince: '2026-11-24T10:00:00.000Z', leaseId: 'lease-1', ports: null, env: 'in sync', detail: '', unread: { email: 2, sms: 0 },
    ...overrides,
  };
}

function snapshot(worktrees: DashboardWorktree[]): DashboardSnapshot {
  return {
    generatedAt: '2026-11-24T18:00:00.000Z', provider: 'local', stateDir: '/s',
    daemon: { running: false, pid: null, state: null, configError: null },
    repos: [{ path: '/r', error: null, lastPass: null, passError: null, worktrees }],
    problems: [`a problem ${hostile}`],
    pool: [],
    audit: [{ time: '2026-11-24T17:59:00.000Z', type: 'env.written', repo: '/r', worktree: '/r/wt', branch: null, identity: 'ws-r-wt', detail: { changedKeys: [hostile] } }],
  };
}

describe('dashboard rendering', () => {
  it('escapes every user-controlled value: paths, branches, problems, audit details', () => {
    const html = renderPage(snapshot([row()]), { csrf: 'c', notice: { kind: 'error', text: hostile } });
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(`feat/${hostile}`));
    expect(html.match(/&lt;img src=x onerror=alert\(1\)&gt;/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('offers release only for a managed worktree that still has an identity', () => {
    const offered = renderPage(snapshot([row()]), { csrf: 'c' });
    expect(offered).toContain('href="/release?worktree=');
    for (const blocked of [row({ env: 'released' }), row({ identity: null }), row({ managed: false }), row({ worktree: null, env: 'orphan' })]) {
      expect(renderPage(snapshot([blocked]), { csrf: 'c' })).not.toContain('href="/release?worktree=');
    }
  });

  it('links to the messages only of a managed worktree that still has an identity, and escapes a message', () => {
    expect(renderPage(snapshot([row()]), { csrf: 'c' })).toContain(`href="/messages?worktree=${encodeURIComponent(`/r/wt ${hostile}`)}"`);
    for (const blocked of [row({ env: 'released' }), row({ identity: null }), row({ managed: false }), row({ worktree: null, env: 'orphan' })]) {
      expect(renderPage(snapshot([blocked]), { csrf: 'c' })).not.toContain('href="/messages?');
    }
    const message = { kind: 'email' as const, id: `7${hostile}`, from: hostile, to: hostile, subject: hostile, receivedAt: hostile, text: hostile, html: `<p>${hostile}</p><a href="https://x.test/?a=1&amp;b=${encodeURIComponent(hostile)}">${hostile}</a>`, read: false };
    for (const html of [renderMessage(row(), message), renderMessageList(row(), [message])]) {
      expect(html).not.toMatch(/<img|<p>&lt;img|<a href="https:\/\/x/);
      expect(html.match(/&lt;img src=x onerror=alert\(1\)&gt;/g)?.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('puts the CSRF value in every form and the worktree in the confirmation form', () => {
    const confirm = renderReleaseConfirm(row(), 'csrf-value');
    expect(confirm).toContain('<input type="hidden" name="csrf" value="csrf-value">');
    expect(confirm).toContain(`name="worktree" value="${escapeHtml(`/r/wt ${hostile}`)}"`);
    const page = renderPage(snapshot([row()]), { csrf: 'csrf-value' });
    expect(page.match(/<form /g)?.length).toBe(page.match(/name="csrf" value="csrf-value"/g)?.length);
  });

  it('says what unread counts are, and when they are unknown', () => {
    expect(renderPage(snapshot([row()]), { csrf: 'c' })).toContain('<strong>2</strong> email, <strong>0</strong> SMS');
    expect(renderPage(snapshot([row({ unread: null })]), { csrf: 'c' })).toContain('title="unknown"');
  });
});
