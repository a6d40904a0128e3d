/** Runs reconcile passes in-process against real repos, with logs captured for secret checks. */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Config, ProviderConfig } from '../../src/config/types.js';
import { DEFAULT_ENV_VARS } from '../../src/config/types.js';
import { createLogger } from '../../src/util/logger.js';
import { createProvider } from '../../src/providers/create-provider.js';
import type { Provider } from '../../src/providers/types.js';
import { runPass, type PassReport } from '../../src/reconcile/engine.js';
import { Ledger } from '../../src/files/ledger.js';

export interface Harness {
  config: Config;
  provider: Provider;
  /** Every log line written so far (pino JSON, trace level). */
  logs: string[];
  reconcile(options?: { worktree?: string; now?: number }): Promise<PassReport>;
  plan(options?: { worktree?: string; now?: number }): Promise<PassReport>;
  ledger(): Promise<Ledger>;
}

export function testConfig(stateDir: string, repos: string[], overrides: Partial<Omit<Config, 'env'>> & { env?: Partial<Config['env']> } = {}): Config {
  return {
    repos,
    provider: { kind: 'local' },
    identity: { name: 'ws-{repo}-{worktree}' },
    secrets: { vault: null },
    orphans: { graceMs: 0 },
    // The defaults: Ravi's identities are all kept, a few local ones.
    pool: { quarantineMs: 30 * 60_000, keepIdle: overrides.provider?.kind === 'ravi' ? Number.POSITIVE_INFINITY : 3 },
    ports: null,
    include: [],
    exclude: [],
    mail: { enabled: false, smtpPort: 0, smsPort: 0, maxMessageBytes: 10 * 1024 * 1024, maxAgeMs: 7 * 86_400_000, maxMessages: 500 },
    dashboard: { enabled: false, port: 0 },
    concurrency: 4,
    stateDir,
    source: null,
    ...overrides,
    env: { file: '.env', vars: { ...DEFAULT_ENV_VARS }, secrets: [], writeSecrets: true, ...overrides.env },
  };
}

export function raviProviderConfig(apiUrl: string, credentialsFile: string, provisionPhone = false): ProviderConfig {
  return { kind: 'ravi', apiUrl, credentialsFile, provisionPhone };
}

export function createHarness(config: Config, provider: Provider = createProvider(config)): Harness {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('trace', sink);
  const pass = (mode: 'plan' | 'apply') => (options: { worktree?: string; now?: number } = {}) =>
    runPass({ config, provider, logger, mode, worktree: options.worktree ?? null, now: options.now === undefined ? undefined : () => options.now as number });
  return {
    config,
    provider,
    logs,
    reconcile: pass('apply'),
    plan: pass('plan'),
    ledger: () => Ledger.open(config.stateDir, provider.ledgerScope),
  };
}

export function stateDirIn(base: string): string {
  return join(base, 'state');
}
