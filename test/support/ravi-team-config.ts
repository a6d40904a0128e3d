/**
 * The set-up most Ravi e2e tests share: the management key in a credentials file under `home` (what
 * `ravi auth login` writes), a vault identity holding the team's secrets on the fake server, and a repo config
 * on the ravi provider that copies those secrets into each worktree's env file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeRaviServer } from './fake-ravi-server.js';

export interface TeamConfigOptions {
  readonly secrets: Readonly<Record<string, string>>;
  /** Merged into `env` of the config (e.g. `{ writeSecrets: true }`). */
  readonly env?: Readonly<Record<string, unknown>>;
  readonly vaultName?: string;
}

export async function writeRaviTeamConfig(server: FakeRaviServer, repoPath: string, home: string, options: TeamConfigOptions): Promise<void> {
  const credentials = join(home, 'ravi.json');
  await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const vaultName = options.vaultName ?? 'team-vault';
  const vault = server.addIdentity({ name: vaultName });
  for (const [key, value] of Object.entries(options.secrets)) server.setSecret(vault.uuid, key, value);
  const config = {
    provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials },
    env: { secrets: Object.keys(options.secrets), ...options.env },
    secrets: { vault: vaultName },
  };
  await writeFile(join(repoPath, 'ravi-orchestrator.config.json'), JSON.stringify(config));
}
