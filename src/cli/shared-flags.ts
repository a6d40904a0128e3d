/**
 * Flags several commands take, each declared once here and listed by the commands that accept it (a command
 * that does not list one refuses it: `status --reveal` is a usage error).
 */
import { parseDuration } from '../config/duration.js';
import { booleanFlag, invalidValue, listFlag, stringFlag, valueFlag, type Flag } from './flags.js';

export const config = stringFlag({
  short: 'c',
  valueName: 'FILE',
  help: 'config file',
  defaultText: 'ravi-orchestrator.config.* searched upwards from the current folder, then from the main worktree',
  complete: 'file',
});

export const repo = listFlag({
  valueName: 'PATH',
  help: 'repository to manage',
  defaultText: '`repos` from the config, else the repo you are in',
  complete: 'dir',
});

export const worktree = stringFlag({
  valueName: 'PATH',
  help: 'the worktree containing PATH',
  defaultText: 'the worktree of the current folder',
  complete: 'dir',
});

export const stateDir = stringFlag({
  valueName: 'DIR',
  help: 'ledger, lock, logs and local provider data',
  defaultText: 'per platform, or $RAVI_ORCHESTRATOR_STATE_DIR',
  complete: 'dir',
});

export const json = booleanFlag({ help: 'machine-readable output on stdout (errors too: {"ok": false, "error": {...}})' });

export const dryRun = booleanFlag({ help: 'print what would be written and run; change nothing' });

/** `--lock-wait SEC`: each command that takes the state lock has its own default. */
export function lockWait(defaultSeconds: number): Flag<number> {
  return valueFlag({
    valueName: 'SEC',
    help: 'how long to wait for another run holding the state lock',
    defaultText: String(defaultSeconds),
    default: defaultSeconds * 1000,
    convert: (text, name) => {
      const seconds = Number(text);
      if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw invalidValue(name, 'a number of seconds', text);
      return seconds * 1000;
    },
  });
}

/** What commands that load a config take: `--config`, `--state-dir`. */
export const CONFIG_FLAGS = { config, 'state-dir': stateDir };
/** What commands over the whole fleet take: the config flags and `--repo`. */
export const FLEET_FLAGS = { ...CONFIG_FLAGS, repo };
/** What agent commands inside a worktree take. */
export const AGENT_FLAGS = { worktree, ...CONFIG_FLAGS };

/** `inbox`, `otp`, `link`: only messages not yet read. */
export const unread = booleanFlag({ help: 'only unread messages' });

/** `otp`, `link`: how to wait and which messages count. */
export const VERIFICATION_FLAGS = {
  wait: valueFlag({
    valueName: 'DURATION',
    help: 'wait up to DURATION for one that arrives after this call (120s, 2m; a bare number is seconds); exit 3 on timeout',
    convert: (text, name) => {
      try {
        return parseDuration(/^\d+$/.test(text) ? `${text}s` : text);
      } catch {
        throw invalidValue(name, 'a duration such as 120s or 2m', text);
      }
    },
  }),
  'since-setup': booleanFlag({ help: 'count every message since this worktree\'s lease began, not only newer ones' }),
  'mark-read': booleanFlag({ help: 'take the newest unread one and record it as taken (on our side): the next call gets the next one' }),
  unread,
};
