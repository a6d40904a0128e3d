/** `defineConfig`: types a config file's default export; returns it unchanged (validation happens on load). */
import type { RawConfig } from './types.js';

export function defineConfig(config: RawConfig): RawConfig {
  return config;
}
