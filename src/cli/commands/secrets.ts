/**
 * `secrets set|get|list|delete`: the local provider's vault. Values come from stdin or a hidden prompt, never
 * argv (argv is visible to every process on the machine).
 */
import { defineCommand, defineGroup, type CommandInput } from '../command.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { booleanFlag, stringFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { CONFIG_FLAGS, json } from '../shared-flags.js';
import { UsageError } from '../usage-error.js';

const SECRET_KEY = /^[A-Z][A-Z0-9_]*$/;

const FLAGS = {
  vault: stringFlag({ valueName: 'NAME', help: 'the local vault', defaultText: '`secrets.vault` from the config, else "default"' }),
  ...CONFIG_FLAGS,
  json,
};
const KEY = { name: 'KEY', help: 'the secret\'s name: upper-case letters, digits, _ (lower case is raised)' };

export default defineGroup({
  summary: 'the local provider\'s vault of shared secrets (copied into env files listed in env.secrets)',
  description:
    'Shared secrets for the local provider, copied into each worktree\'s env file when the config lists them in env.secrets. ' +
    'With the ravi provider, keep them in the vault identity instead (`ravi secrets set KEY VALUE`).',
  subcommands: {
    set: defineCommand({
      summary: 'store a secret: typed at a hidden prompt, or read from stdin',
      description:
        'Stores KEY in the vault. At a terminal it asks for the value without echoing it; otherwise it reads all of stdin ' +
        '(one trailing newline dropped). An empty value is refused unless --allow-empty.',
      flags: { ...FLAGS, 'allow-empty': booleanFlag({ help: 'store an empty value instead of refusing it' }) },
      positionals: [KEY],
      finishesWhenStdoutCloses: true,
      examples: ['secrets set OPENAI_API_KEY', 'printf %s "$OPENAI_API_KEY" | ravi-orchestrator secrets set OPENAI_API_KEY'],
      run: (input) => withVault(input, (vault) => setSecret(vault, input.flags.allowEmpty)),
    }),
    get: defineCommand({ summary: 'print a secret\'s value', flags: FLAGS, positionals: [KEY], run: (input) => withVault(input, getSecret) }),
    list: defineCommand({ summary: 'the names of the vault\'s secrets', flags: FLAGS, run: (input) => withVault(input, listSecrets) }),
    delete: defineCommand({ summary: 'remove a secret', flags: FLAGS, positionals: [KEY], finishesWhenStdoutCloses: true, run: (input) => withVault(input, (vault) => storeSecret(vault, null)) }),
  },
});

interface Vault {
  readonly context: CommandContext<CommandInput<typeof FLAGS>['flags']>;
  readonly name: string;
  /** The KEY argument, raised to upper case; '' for `list`. */
  readonly key: string;
}

async function withVault(input: CommandInput<typeof FLAGS>, task: (vault: Vault) => Promise<ExitCodeValue>): Promise<ExitCodeValue> {
  const [{ createCommandContext, requireLocalProvider }, { DEFAULT_LOCAL_VAULT }] = await Promise.all([import('../context.js'), import('../../config/normalize.js')]);
  const rawKey = input.positionals[0];
  const key = (rawKey ?? '').toUpperCase();
  if (rawKey !== undefined && !SECRET_KEY.test(key)) throw new UsageError(`Secret keys must match ${SECRET_KEY.source} (got "${rawKey}")`, input.path);
  const context = await createCommandContext(input, { scope: 'state-only' });
  requireLocalProvider(context, 'With the ravi provider, store shared secrets in the vault identity with `ravi secrets set KEY VALUE`.');
  return task({ context, key, name: input.flags.vault ?? context.config.secrets.vault ?? DEFAULT_LOCAL_VAULT });
}

async function listSecrets({ context, name }: Vault): Promise<ExitCodeValue> {
  const { readVault } = await import('../../providers/local/local-provider.js');
  const keys = Object.keys((await readVault(context.config.stateDir)).vaults[name] ?? {}).sort();
  if (context.flags.json) writeJson(context.io.stdout, { vault: name, keys });
  else for (const key of keys) writeLine(context.io.stdout, key);
  return ExitCode.OK;
}

async function getSecret({ context, name, key }: Vault): Promise<ExitCodeValue> {
  const { readVault } = await import('../../providers/local/local-provider.js');
  const value = (await readVault(context.config.stateDir)).vaults[name]?.[key];
  if (value === undefined) {
    context.io.stderr.write(`secret not found: ${key} (vault "${name}")\n`);
    return ExitCode.FAILURE;
  }
  context.io.stdout.write(context.flags.json ? `${JSON.stringify({ vault: name, key, value })}\n` : `${value}\n`);
  return ExitCode.OK;
}

async function setSecret(vault: Vault, allowEmpty: boolean): Promise<ExitCodeValue> {
  const { context, key } = vault;
  const typed = await context.io.readSecret(`Value for ${key} (input hidden; Enter ends): `);
  if (typed === null) {
    context.io.stderr.write('Cancelled; nothing stored.\n');
    return ExitCode.INTERRUPTED;
  }
  // `echo value | secrets set KEY` must not store the newline echo added.
  const value = typed.replace(/\r?\n$/, '');
  if (value === '' && !allowEmpty) {
    throw new UsageError(`No value for ${key}: the input was empty, so nothing was stored. Pipe the value in or type it at the prompt; --allow-empty stores an empty value.`, context.path);
  }
  return storeSecret(vault, value);
}

/** Writes (or, for null, removes) one secret under the state lock, so a reconcile never reads half a vault. */
async function storeSecret({ context, name, key }: Vault, value: string | null): Promise<ExitCodeValue> {
  const [{ readVault, writeVault }, { acquireStateLock }] = await Promise.all([import('../../providers/local/local-provider.js'), import('../../files/state-lock.js')]);
  const { stateDir } = context.config;
  const lock = await acquireStateLock(stateDir);
  try {
    const doc = await readVault(stateDir);
    const secrets = { ...(doc.vaults[name] ?? {}) };
    if (value === null) delete secrets[key];
    else secrets[key] = value;
    await writeVault(stateDir, { ...doc, vaults: { ...doc.vaults, [name]: secrets } });
  } finally {
    await lock.release();
  }
  writeLine(context.io.stderr, `${value === null ? 'Deleted' : 'Stored'} ${key} in vault "${name}". Run \`ravi-orchestrator reconcile\` to update env files.`);
  return ExitCode.OK;
}
