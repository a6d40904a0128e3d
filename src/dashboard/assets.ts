/**
 * The dashboard's stylesheet and script, served from memory as files of the same origin so that the
 * Content-Security-Policy can forbid inline code. No framework: the server renders the HTML and the
 * script only swaps in fragments it is pushed; without JavaScript the page is the same, minus live updates.
 */

export const DASHBOARD_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; --link: #0550ae;
  --ok-bg: #dafbe1; --ok-fg: #0a3622; --warn-bg: #fff8c5; --warn-fg: #4d2d00; --err-bg: #ffebe9; --err-fg: #82071e;
  --idle-bg: #eaeef2; --idle-fg: #24292f; --danger: #b91c1c; --focus: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --head: #161b22; --link: #6cb6ff;
    --ok-bg: #0f3d24; --ok-fg: #aff5b4; --warn-bg: #3d2e00; --warn-fg: #f8e3a1; --err-bg: #4c0d14; --err-fg: #ffc1c0;
    --idle-bg: #262c36; --idle-fg: #d1d7e0; --danger: #f87171; --focus: #6cb6ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem 2rem; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, monospace; }
h1 { font-size: 1.35rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.25rem; overflow-wrap: anywhere; }
.top { display: flex; gap: 1rem; align-items: center; justify-content: space-between; flex-wrap: wrap;
  border-bottom: 1px solid var(--line); padding-bottom: 0.75rem; }
.meta, .muted, footer { color: var(--muted); }
.meta { margin: 0.25rem 0 0.5rem; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--bg); padding: 0.25rem 0.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.93rem; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--head); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 500; overflow-wrap: break-word; min-width: 10rem; }
.nowrap { white-space: nowrap; }
td.detail { color: var(--muted); max-width: 28rem; overflow-wrap: anywhere; }
.state { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.85rem; white-space: nowrap; }
.state-in-sync { background: var(--ok-bg); color: var(--ok-fg); }
.state-pending, .state-orphan { background: var(--warn-bg); color: var(--warn-fg); }
.state-error { background: var(--err-bg); color: var(--err-fg); }
.state-unmanaged, .state-released { background: var(--idle-bg); color: var(--idle-fg); }
.error { color: var(--err-fg); background: var(--err-bg); padding: 0 0.25rem; }
.problems { border: 1px solid var(--danger); border-radius: 6px; padding: 0 1rem; margin-top: 1rem; }
.notice { padding: 0.5rem 0.75rem; border-radius: 6px; margin: 0.75rem 0 0; }
.notice-ok { background: var(--ok-bg); color: var(--ok-fg); }
.notice-error { background: var(--err-bg); color: var(--err-fg); }
button, .button { font: inherit; padding: 0.35rem 0.8rem; border-radius: 6px; border: 1px solid var(--line);
  background: var(--head); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
.danger { color: var(--danger); border-color: var(--danger); }
form.inline { display: inline-flex; gap: 0.5rem; align-items: center; margin: 0; }
.confirm { max-width: 40rem; }
.message { max-width: 60rem; }
.message pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0 0.75rem; padding: 0.5rem 0.75rem;
  background: var(--head); border: 1px solid var(--line); border-radius: 6px; font: 0.9rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 1rem 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.links li { overflow-wrap: anywhere; margin: 0.2rem 0; }
.source summary { cursor: pointer; margin: 0.5rem 0; }
`;

export const DASHBOARD_JS = `'use strict';
(function () {
  document.querySelectorAll('.js-only').forEach(function (el) { el.hidden = false; });
  var live = document.getElementById('live');
  var updated = document.getElementById('updated');
  if (!live || !window.EventSource) return;
  var source = new EventSource('/events');
  source.addEventListener('update', function (event) {
    var data = JSON.parse(event.data);
    // Server-rendered and escaped on the server: the same markup a reload would give.
    live.innerHTML = data.html;
    if (updated) { updated.setAttribute('datetime', data.generatedAt); updated.textContent = data.generatedLabel; }
    document.body.setAttribute('data-version', String(data.version));
  });
})();
`;
