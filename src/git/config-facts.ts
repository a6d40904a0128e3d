/**
 * The few git config facts `git worktree list` depends on, read cautiously from the files git reads: whether the
 * main worktree counts as bare (core.bare, which git takes from every config scope: config.c
 * git_default_core_config), whether paths sort ignoring case (core.ignorecase: fspathcmp), and whether anything
 * is set that this reading does not follow (includes, extensions such as refStorage/objectFormat/worktreeConfig,
 * core.worktree, a newer repository format, continued lines). Returns null whenever it cannot be sure.
 * Config syntax: git's Documentation/config.txt ("Syntax"), read here only as far as these keys need.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readOptional } from './stamped-reads.js';

export interface ConfigFacts {
  /** core.bare as the repository's config sets it (undefined when unset). */
  readonly bare: boolean | undefined;
  /** core.ignorecase; the repository's value wins over the global one (git reads the repository's last). */
  readonly ignoreCase: boolean;
}

export function readConfigFacts(commonDir: string): ConfigFacts | null {
  const outside = outsideConfigFacts();
  if (outside === null) return null;
  const text = readOptional(join(commonDir, 'config'));
  if (typeof text !== 'string') return null; // git needs the config to check the repository format
  const facts = repoConfigFacts(text);
  if (facts === null) return null;
  if (facts.ignoreCase === undefined && outside.mentionsIgnoreCase) return null;
  return { bare: facts.bare, ignoreCase: facts.ignoreCase ?? false };
}

/** The repository's own config file. */
export function repoConfigFacts(text: string): { bare: boolean | undefined; ignoreCase: boolean | undefined } | null {
  let section = '';
  let bare: boolean | undefined;
  let ignoreCase: boolean | undefined;
  for (const rawLine of text.split('\n')) {
    let line = rawLine.trim();
    if (line.endsWith('\\')) return null; // a continued line could hide anything
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\](.*)$/.exec(line);
    if (header !== null) {
      section = (header[1] as string).toLowerCase().split('.')[0] as string;
      if (section === 'include' || section === 'includeif' || section === 'extensions') return null;
      line = (header[2] as string).trim(); // git allows a key on the header's line
    } else if (line.startsWith('[')) {
      return null;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';') || section !== 'core') continue;
    if (line.includes('"')) return null;
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*([^#;]*))?(?:[#;].*)?$/.exec(line);
    if (entry === null) return null;
    const key = (entry[1] as string).toLowerCase();
    const value = entry[2] === undefined ? null : entry[2].trim();
    if (key === 'worktree') return null;
    if (key === 'repositoryformatversion' && value !== '0' && value !== '1') return null;
    if (key === 'bare' || key === 'ignorecase') {
      const flag = parseBool(value);
      if (flag === undefined) return null;
      if (key === 'bare') bare = flag;
      else ignoreCase = flag;
    }
  }
  return { bare, ignoreCase };
}

/** git_parse_maybe_bool: a key without `=` is true; the words and 0/1; anything else is left to git. */
function parseBool(value: string | null): boolean | undefined {
  if (value === null) return true;
  const lower = value.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(lower)) return true;
  if (['false', 'no', 'off', '0', ''].includes(lower)) return false;
  return undefined;
}

/**
 * The system and global config files (as git finds them: config.c git_system_config / git_global_config) set
 * neither core.bare nor an include that might (any mention of either word counts: null), and whether they
 * mention core.ignorecase. Cautious beyond git (the usual system paths of several builds are all looked at;
 * comments count), never short of it.
 */
function outsideConfigFacts(): { mentionsIgnoreCase: boolean } | null {
  let mentionsIgnoreCase = false;
  for (const file of outsideConfigFiles()) {
    const text = readOptional(file);
    if (text === undefined) return null;
    if (text === null) continue;
    if (/\bbare\b|include/i.test(text)) return null;
    mentionsIgnoreCase ||= /ignorecase/i.test(text);
  }
  return { mentionsIgnoreCase };
}

function outsideConfigFiles(): string[] {
  const env = process.env;
  const files: string[] = [];
  if (parseBool(env['GIT_CONFIG_NOSYSTEM'] ?? 'false') !== true) {
    files.push(...(env['GIT_CONFIG_SYSTEM'] ? [env['GIT_CONFIG_SYSTEM']] : ['/etc/gitconfig', '/usr/local/etc/gitconfig', '/opt/homebrew/etc/gitconfig']));
  }
  if (env['GIT_CONFIG_GLOBAL']) {
    files.push(env['GIT_CONFIG_GLOBAL']);
  } else {
    const home = env['HOME'] || homedir();
    files.push(join(home, '.gitconfig'), join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'git', 'config'));
  }
  return files.filter((file) => file !== '/dev/null');
}
