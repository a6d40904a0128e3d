/** The package's public entry: what config files and programmatic users import from 'ravi-orchestrator'. */
export { defineConfig } from './config/define-config.js';
export type { Config, RawConfig, RawConfig as UserConfig } from './config/types.js';
