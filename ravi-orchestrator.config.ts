/**
 * ravi-orchestrator configuration (this repo's own, and the documented example of every key).
 *
 * Found by searching from the current folder up to your home folder for: this file (.ts, .js, .mjs, .cjs,
 * .json, .yaml, .yml), `.ravi-orchestratorrc` (+ .json/.yaml/.yml/.js/.ts/.cjs/.mjs), or the
 * "ravi-orchestrator" key of package.json. `--config <file>` loads one file instead. Every key is optional;
 * the values below are the defaults unless a comment says otherwise. Unknown keys are an error.
 * Not using TypeScript? config/ravi-orchestrator.config.example.json holds these settings as JSON.
 */
import { defineConfig } from 'ravi-orchestrator';

export default defineConfig({
  // Repositories to manage. `~` is expanded; relative paths are taken from this file's folder.
  // Default: the repository the command runs in (`--repo <path>` replaces this list).
  // repos: ['.', '~/code/another-repo'],

  // Where identities come from. 'local' (the default) needs no account: it invents identities on disk.
  provider: { kind: 'local' },
  // The Ravi provider, for real inboxes and phone numbers:
  // provider: {
  //   kind: 'ravi',
  //   apiUrl: 'https://ravi.id', // http(s) URL; a trailing slash is dropped
  //   credentialsFile: '~/.ravi/config.json', // written by `ravi login`
  //   provisionPhone: false, // also give each identity a phone number (paid plans)
  // },

  identity: {
    // Name of each worktree's identity. Placeholders: {repo} {worktree} (git's admin id) {branch}.
    name: 'ws-{repo}-{worktree}',
  },

  env: {
    // The env file written in each worktree, relative to it (not absolute, not outside it, not in .git).
    file: '.env',
    // Variables written to the env file. Placeholders: {email} {phone} {identity} {worktree} {branch} {repo}.
    // Setting `vars` replaces this default set.
    vars: {
      AGENT_EMAIL: '{email}',
      AGENT_PHONE: '{phone}',
    },
    // Secret names (A-Z, 0-9, _) copied from the vault identity below into each env file. Default: none.
    secrets: [],
    // secrets: ['OPENAI_API_KEY', 'STRIPE_TEST_KEY'],
  },

  // Required when env.secrets lists any: the identity (name or uuid) holding the team's shared secrets.
  // secrets: { vault: 'team-vault' },

  orphans: {
    // How long an identity outlives its worktree before it is deleted: '30s', '10m', '1h', milliseconds, or 0.
    grace: '10m',
  },

  // Globs (picomatch) over worktree paths or branch names. A worktree is managed if it matches any
  // `include` glob (an empty list means every worktree) and no `exclude` glob.
  include: [],
  exclude: [],
  // exclude: ['**/scratch-*', 'release/*'],

  // A web page of the fleet on 127.0.0.1, served by the daemon; `ravi-orchestrator status` prints its link
  // (with an access token). `ravi-orchestrator dashboard` serves it on demand instead.
  // dashboard: { enabled: true, port: 2527 },

  // Provider calls in flight at once: an integer from 1 to 64.
  concurrency: 4,

  // Where the ledger, lock and local provider live (`~` expanded; `--state-dir <dir>` overrides it).
  // Default: $RAVI_ORCHESTRATOR_STATE_DIR if set, else ~/Library/Application Support/ravi-orchestrator
  // (macOS), $XDG_STATE_HOME/ravi-orchestrator or ~/.local/state/ravi-orchestrator (Linux),
  // %LOCALAPPDATA%\ravi-orchestrator (Windows).
  // stateDir: '~/.local/state/ravi-orchestrator',
});
