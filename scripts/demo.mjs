#!/usr/bin/env node
// Quick start: a throwaway repo with a few worktrees, one real `reconcile` on the embedded local
// provider (no account, no network), then `status`, a worktree's .env, and a `plan` that is in sync.
// Everything lives in a temp folder that is removed at the end (pass --keep to look around).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const keep = process.argv.includes('--keep');
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(root, 'bin', 'ravi-orchestrator.cjs'); // the package's bin, as users run it
if (!existsSync(join(root, 'dist-cli', 'cli', 'main.js'))) {
  console.error('dist-cli/ is missing: run `npm install` (it builds) or `npm run build` first.');
  process.exit(1);
}

const base = realpathSync(mkdtempSync(join(tmpdir(), 'ravi-orchestrator-demo-')));
const repo = join(base, 'app');
const stateDir = join(base, 'state');
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (...args) => execFileSync('git', args, { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const run = (title, args) => {
  console.log(`\n$ ravi-orchestrator ${args.join(' ')}    # ${title}`);
  try {
    process.stdout.write(execFileSync(process.execPath, [cli, ...args, '--state-dir', stateDir], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] }));
    console.log('(exit 0)');
  } catch (error) {
    process.stdout.write(error.stdout ?? '');
    console.log(`(exit ${error.status})`);
  }
};

try {
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv });
  git('config', 'user.email', 'demo@example.com');
  git('config', 'user.name', 'demo');
  writeFileSync(join(repo, 'README.md'), '# app\n');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  // Superset-style layout: branches with slashes nest folders, and two share the basename "login".
  // A folder name may hold spaces and non-ASCII letters even where the branch name may not.
  for (const [branch, folder] of [['feat/login', 'feat/login'], ['fix/login', 'fix/login'], ['docs/unicode-guide', 'docs/ünïcode guide']]) {
    git('worktree', 'add', '-q', '-b', branch, join(base, 'worktrees', folder));
  }
  // A worktree an old append-only setup.sh already touched: user lines stay, stale duplicates go.
  const legacy = join(base, 'worktrees', 'feat/login', '.env');
  writeFileSync(legacy, '# my settings\nDATABASE_URL=postgres://localhost/app\nAGENT_EMAIL=ws-@raviapp.com\nAGENT_EMAIL=ws-@raviapp.com\n');

  console.log(`Demo repo: ${repo} (3 worktrees); state: ${stateDir}`);
  run('what would change', ['plan']);
  run('make it so', ['reconcile']);
  run('the fleet', ['status']);
  console.log(`\n$ cat ${legacy}`);
  process.stdout.write(readFileSync(legacy, 'utf8'));
  run('second run: nothing to do', ['reconcile']);
  git('worktree', 'remove', '--force', join(base, 'worktrees', 'fix/login'));
  run('a worktree was removed: its identity waits out the 10m grace period', ['plan']);
} finally {
  if (keep) console.log(`\nKept ${base}`);
  else rmSync(base, { recursive: true, force: true });
}
