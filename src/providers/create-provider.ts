/** The provider the config asks for (synchronous: both providers are loaded; the CLI uses loadProvider). */
import type { Config } from '../config/types.js';
import type { Provider } from './types.js';
import { createLocalProvider } from './local/local-provider.js';
import { createRaviProvider } from './ravi/ravi-provider.js';
import { localProviderOptions, raviProviderOptions } from './load-provider.js';

export function createProvider(config: Config): Provider {
  const provider = config.provider;
  if (provider.kind === 'local') return createLocalProvider(localProviderOptions(config));
  return createRaviProvider(raviProviderOptions(provider, config.stateDir));
}
