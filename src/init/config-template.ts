/**
 * The commented `ravi-orchestrator.config.ts` that `init` writes. A plain object as the default export, with no
 * import and no type reference: it must load (cosmiconfig transpiles .ts) and type-check in a repo that does not
 * install ravi-orchestrator, where even `import type` or `satisfies import('ravi-orchestrator')...` breaks `tsc`.
 */
import { DEFAULT_CREDENTIALS_FILE, DEFAULT_ENV_FILE, DEFAULT_GRACE } from '../config/normalize.js';
import { DEFAULT_API_URL, DEFAULT_ENV_VARS, DEFAULT_IDENTITY_NAME } from '../config/types.js';

/** The name `init` writes (one of cosmiconfig's search places). */
export const CONFIG_FILE_NAME = 'ravi-orchestrator.config.ts';

export function renderConfigTemplate(): string {
  // Built from the same constants normalize applies, so the file states the real defaults.
  const vars = Object.entries(DEFAULT_ENV_VARS).map(([name, value]) => `      ${name}: ${quote(value)},`);
  return [
    '/**',
    ' * ravi-orchestrator configuration for this repository (written by `ravi-orchestrator init`).',
    ' *',
    ' * Every key is optional; the values below are the defaults unless a comment says otherwise. Unknown keys are',
    ' * an error. Commit this file: each worktree then has it, and commands run in any worktree find it.',
    ' * It is a plain object so that it loads without ravi-orchestrator installed in this project. For type checking,',
    " * install it (npm i -D ravi-orchestrator) and add `satisfies import('ravi-orchestrator').UserConfig` after `}`.",
    ' */',
    'export default {',
    '  // Repositories to manage. `~` is expanded; relative paths are taken from this file\'s folder.',
    '  // Default: the repository the command runs in (this one).',
    "  // repos: ['.', '~/code/another-repo'],",
    '',
    "  // Where identities come from. 'local' needs no account: it invents identities on disk.",
    "  provider: { kind: 'local' },",
    '  // The Ravi provider, for real inboxes and phone numbers (run `ravi auth login` first):',
    '  // provider: {',
    "  //   kind: 'ravi',",
    `  //   apiUrl: ${quote(DEFAULT_API_URL)},`,
    `  //   credentialsFile: ${quote(DEFAULT_CREDENTIALS_FILE)}, // written by \`ravi auth login\``,
    '  //   provisionPhone: false, // also give each identity a phone number (paid plans)',
    '  // },',
    '',
    '  identity: {',
    "    // Name of each worktree's identity. Placeholders: {repo} {worktree} (git's admin id) {branch}.",
    `    name: ${quote(DEFAULT_IDENTITY_NAME)},`,
    '  },',
    '',
    '  env: {',
    '    // The env file written in each worktree, relative to it. Make sure your app reads it.',
    `    file: ${quote(DEFAULT_ENV_FILE)},`,
    '    // Variables written to the env file. Placeholders: {email} {phone} {identity} {worktree} {branch} {repo}.',
    '    // Setting `vars` replaces this default set.',
    '    vars: {',
    ...vars,
    '    },',
    '    // Secret names copied from the vault identity (see `secrets` below) into each env file:',
    "    // secrets: ['OPENAI_API_KEY', 'STRIPE_TEST_KEY'],",
    '    // Keep secrets off disk: `ravi-orchestrator exec -- CMD` passes them to CMD instead.',
    '    // writeSecrets: false,',
    '  },',
    '',
    '  // Where env.secrets come from. Local provider: a vault of `ravi-orchestrator secrets set` (default: \'default\').',
    '  // Ravi provider: required when env.secrets lists any; the identity (name or uuid) holding the shared secrets.',
    "  // secrets: { vault: 'team-vault' },",
    '',
    '  orphans: {',
    "    // How long an identity outlives its worktree before it is deleted: '30s', '10m', '1h', milliseconds, or 0.",
    `    grace: ${quote(DEFAULT_GRACE)},`,
    '  },',
    '',
    '  // Globs over worktree paths or branch names. A worktree is managed if it matches any `include` glob',
    '  // (an empty list means every worktree) and no `exclude` glob.',
    '  include: [],',
    "  // include: ['feat/*', 'fix/*'],",
    '  exclude: [],',
    "  // exclude: ['**/scratch-*', 'release/*'],",
    '};',
    '',
  ].join('\n');
}

/** A single-quoted TS string literal (the defaults hold no quote or backslash, but stay correct if one does). */
function quote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
