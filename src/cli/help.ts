/** `ravi-orchestrator help`. Kept next to the parser so flags and help cannot drift far apart. */
export const HELP = `ravi-orchestrator: every git worktree gets its own agent identity and an up-to-date .env

Usage: ravi-orchestrator <command> [options]

Commands:
  plan                 show what reconcile would do (+ create, ~ update, - delete)
  reconcile            make every managed worktree own exactly one identity and a current env file
  status               the daemon (pid, uptime, last pass per repo) and a table of worktree, branch,
                       identity, email, phone, env state
  daemon               run the controller in the foreground: watch, queue, resync (what the service runs)
  service install      run the daemon as a launchd agent (macOS) or systemd user unit (Linux); --dry-run
  service uninstall | status | logs [-f] | restart
  init [--superset]    write a commented config (and list the worktree tools found), or the Superset preset
  init --claude | --conductor | --cursor | --codex | --worktrunk | --gtr
                       that tool's setup/teardown hooks in its own config (merged); --local, --dry-run
  hook worktree-create | worktree-remove
                       Claude Code's WorktreeCreate / WorktreeRemove hooks (payload on stdin; init --claude)
  release              teardown: end this worktree's lease now (no grace period); the identity returns to the pool
  disown               hand this repo over to another state dir (its leases end here; see --take-over)
  whoami               this worktree's identity: name, email, phone
  inbox [email|sms]    this worktree's messages, newest first (--unread)
  otp | link           newest verification code / link (--wait 120s, --since-setup, --mark-read, --match RE)
  mcp                  this worktree's identity as MCP tools over stdio (whoami, wait_for_code, ...)
  env                  the managed variables (secrets masked unless --reveal)
  exec -- CMD ARGS     run CMD with the managed variables and secrets in its environment
  ravi -- ARGS         the real \`ravi\` CLI as this worktree's identity (run from the worktree's root)
  history              the audit trail (--worktree P, --identity NAME, --since 1d, --json)
  dashboard            a live page of the fleet on 127.0.0.1 (link with an access token; --port N)
  mail serve           the local provider's SMTP server (127.0.0.1:2525) and SMS endpoint (:2526/sms)
  sms deliver          put an SMS into a local agent's inbox: --to PHONE --from PHONE --body TEXT
  secrets set KEY      store a shared secret in the local vault (value read from stdin)
  secrets get KEY | list | delete KEY
  help, version

Options:
  -c, --config FILE    config file (default: ravi-orchestrator.config.* searched upwards from here)
      --repo PATH      repository to manage; repeatable (default: config 'repos', else this repo)
      --worktree PATH  only the worktree containing PATH (what a setup script runs)
      --state-dir DIR  ledger, lock and local provider data (default: per platform)
      --json           machine-readable output on stdout
      --log-level L    fatal|error|warn|info|debug|trace|silent (default: error; logs go to stderr)
      --vault NAME     vault for 'secrets' (default: config secrets.vault, else "default")
      --lock-wait SEC  how long reconcile waits for another run holding the lock (default 120)
      --dry-run        service install/uninstall: print what would be written and run
      --take-over      reconcile: manage repos another state dir claimed (when that one is gone for good)
  -f, --follow         service logs: keep printing new lines
      --port N         dashboard: port on 127.0.0.1 (default: any free one; the daemon's page if it serves one)

Exit codes: 0 ok / in sync, 1 failure, 2 plan has pending changes, 3 no code/link (or --wait timed out), 64 usage error,
            75 lock held by another run (or a daemon already runs), 78 invalid config.
`;
