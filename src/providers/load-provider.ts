/**
 * The provider the config asks for, loading only that provider's modules: the CLI's start-up path (`whoami`
 * with the ravi provider never loads the local one, nor the other way round). createProvider (create-provider.ts)
 * is the synchronous form for callers that already hold both.
 */
import type { Config, ProviderConfig } from '../config/types.js';
import type { LocalProviderOptions } from './local/local-provider.js';
import type { RaviProviderOptions } from './ravi/ravi-provider.js';
import type { Provider } from './types.js';

export async function loadProvider(config: Config): Promise<Provider> {
  const provider = config.provider;
  if (provider.kind === 'local') return (await import('./local/local-provider.js')).createLocalProvider(localProviderOptions(config));
  return (await import('./ravi/ravi-provider.js')).createRaviProvider(raviProviderOptions(provider, config.stateDir));
}

export function localProviderOptions(config: Config): LocalProviderOptions {
  return { stateDir: config.stateDir, quarantineMs: config.pool.quarantineMs };
}

export function raviProviderOptions(provider: Extract<ProviderConfig, { kind: 'ravi' }>, stateDir: string): RaviProviderOptions {
  const { apiUrl, credentialsFile, provisionPhone } = provider;
  return { apiUrl, credentialsFile, provisionPhone, stateDir };
}
