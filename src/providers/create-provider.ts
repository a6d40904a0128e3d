/** The provider the config asks for. */
import type { Config } from '../config/types.js';
import type { Provider } from './types.js';
import { createLocalProvider } from './local/local-provider.js';
import { createRaviProvider } from './ravi/ravi-provider.js';

export function createProvider(config: Config): Provider {
  const provider = config.provider;
  if (provider.kind === 'local') return createLocalProvider({ stateDir: config.stateDir, quarantineMs: config.pool.quarantineMs });
  return createRaviProvider({
    apiUrl: provider.apiUrl,
    credentialsFile: provider.credentialsFile,
    provisionPhone: provider.provisionPhone,
  });
}
