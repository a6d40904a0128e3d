/** Every adapter by its flag (`init --claude`, ...). */
import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { conductorAdapter } from './conductor.js';
import { cursorAdapter } from './cursor.js';
import { gtrAdapter } from './gtr.js';
import type { Adapter, AdapterTool } from './types.js';
import { worktrunkAdapter } from './worktrunk.js';

export const ADAPTERS: Readonly<Record<AdapterTool, Adapter>> = {
  claude: claudeAdapter,
  conductor: conductorAdapter,
  cursor: cursorAdapter,
  codex: codexAdapter,
  worktrunk: worktrunkAdapter,
  gtr: gtrAdapter,
};
