/**
 * `secrets set|get|list|delete`: the local provider's vault. Values come from stdin, never argv
 * (argv is visible to every process on the machine).
 */
import { readVault, writeVault } from '../../providers/local/local-provider.js';
import { acquireStateLock } from '../../files/state-lock.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { UsageError } from '../args.js';
import { writeJson, writeLine } from '../io.js';

const SECRET_KEY = /^[A-Z][A-Z0-9_]*$/;
export const DEFAULT_VAULT = 'default';

export async function secretsCommand(context: CommandContext): Promise<ExitCodeValue> {
  const [action, rawKey] = context.args.rest;
  if (context.config.provider.kind !== 'local') {
    throw new UsageError('`secrets` manages the local provider\'s vault. With the ravi provider, store shared secrets in the vault identity with `ravi secrets set KEY VALUE`.');
  }
  const vaultName = context.args.vault ?? context.config.secrets.vault ?? DEFAULT_VAULT;
  const { stateDir } = context.config;
  if (action === 'list') {
    const keys = Object.keys((await readVault(stateDir)).vaults[vaultName] ?? {}).sort();
    if (context.args.json) writeJson(context.io.stdout, { vault: vaultName, keys });
    else for (const key of keys) writeLine(context.io.stdout, key);
    return ExitCode.OK;
  }
  if (action !== 'set' && action !== 'get' && action !== 'delete') {
    throw new UsageError('Usage: ravi-orchestrator secrets set KEY (value on stdin) | get KEY | list | delete KEY [--vault NAME]');
  }
  const key = (rawKey ?? '').toUpperCase();
  if (!SECRET_KEY.test(key)) throw new UsageError(`Secret keys must match ${SECRET_KEY.source} (got "${rawKey ?? ''}")`);
  if (action === 'get') {
    const value = (await readVault(stateDir)).vaults[vaultName]?.[key];
    if (value === undefined) {
      context.io.stderr.write(`secret not found: ${key} (vault "${vaultName}")\n`);
      return ExitCode.FAILURE;
    }
    context.io.stdout.write(context.args.json ? `${JSON.stringify({ vault: vaultName, key, value })}\n` : `${value}\n`);
    return ExitCode.OK;
  }
  const value = action === 'set' ? stripOneNewline(await context.io.readStdin()) : null;
  const lock = await acquireStateLock(stateDir);
  try {
    const doc = await readVault(stateDir);
    const secrets = { ...(doc.vaults[vaultName] ?? {}) };
    if (value === null) delete secrets[key];
    else secrets[key] = value;
    await writeVault(stateDir, { ...doc, vaults: { ...doc.vaults, [vaultName]: secrets } });
  } finally {
    await lock.release();
  }
  writeLine(context.io.stderr, `${action === 'set' ? 'Stored' : 'Deleted'} ${key} in vault "${vaultName}". Run \`ravi-orchestrator reconcile\` to update env files.`);
  return ExitCode.OK;
}

/** `echo value | secrets set KEY` must not store the newline echo added. */
function stripOneNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
