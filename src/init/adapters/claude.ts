/**
 * Claude Code: `WorktreeCreate` / `WorktreeRemove` command hooks in `.claude/settings.json` (or the per-user
 * `.claude/settings.local.json`), and our MCP server in `.mcp.json`. Per https://code.claude.com/docs/en/hooks
 * and https://code.claude.com/docs/en/worktrees (read 2026-11):
 * - Hooks are `{"hooks": {"<Event>": [{"hooks": [{"type": "command", "command": "..."}]}]}}`; these two events take
 *   no matcher. Claude merges the hooks of every settings file (user, project, local) and runs them all.
 * - A WorktreeCreate hook replaces Claude's own `git worktree add` (for `claude --worktree` and subagents with
 *   `isolation: "worktree"`), so exactly one may exist: a second one would create a second worktree. It gets JSON
 *   on stdin and must print the new worktree's absolute path on stdout. WorktreeRemove gets `worktree_path` and
 *   replaces Claude's removal of the worktrees the create hook made. `ravi-orchestrator hook worktree-create` /
 *   `worktree-remove` do that (src/init/adapters/claude/).
 * - Project MCP servers: `.mcp.json` `{"mcpServers": {"<name>": {"type": "stdio", "command", "args"}}}`
 *   (https://code.claude.com/docs/en/mcp); each user approves them once.
 */
import { join } from 'node:path';
import { CLI, runsHook } from './commands.js';
import { AdapterConfigError, AdapterConflictError } from './errors.js';
import { plannedFile, readCurrent, type CurrentFile } from './file-state.js';
import { isJsonObject, parseJsonObject, serializeJson, type JsonObject } from './json-file.js';
import type { Adapter, AdapterContext, AdapterPlan, PlannedFile } from './types.js';
import { describeValue } from './values.js';

export const CLAUDE_HOOKS = {
  WorktreeCreate: { event: 'worktree-create', command: `${CLI} hook worktree-create` },
  WorktreeRemove: { event: 'worktree-remove', command: `${CLI} hook worktree-remove` },
} as const;
type HookEvent = keyof typeof CLAUDE_HOOKS;
const EVENTS = Object.keys(CLAUDE_HOOKS) as HookEvent[];

export const MCP_SERVER_NAME = 'ravi-orchestrator';
export const MCP_SERVER = { type: 'stdio', command: CLI, args: ['mcp'] } as const;
/** Where our create hook puts worktrees; kept out of the main checkout's `git status`. */
export const CLAUDE_WORKTREES_EXCLUDE = '/.claude/worktrees/';

export const claudeAdapter: Adapter = {
  tool: 'claude',
  label: 'Claude Code',
  localTarget: '.claude/settings.local.json',
  plan: planClaude,
};

async function planClaude(context: AdapterContext): Promise<AdapterPlan> {
  const shared = join(context.root, '.claude', 'settings.json');
  const local = join(context.root, '.claude', 'settings.local.json');
  const target = context.local ? local : shared;
  const others = [context.local ? shared : local, ...(context.home === null ? [] : [join(context.home, '.claude', 'settings.json')])];
  const current = await readCurrent(target);
  const config = current === null ? {} : parseJsonObject(current.text, target);
  const hooks = hooksOf(config, target);
  // Hooks elsewhere: ours already there means "done" (a second copy would run twice); another tool's means conflict.
  const elsewhere = new Map<HookEvent, string>();
  for (const other of others) {
    const text = await readCurrent(other);
    if (text === null) continue;
    const otherHooks = hooksOf(parseJsonObject(text.text, other), other);
    for (const event of EVENTS) {
      const commands = commandsOf(otherHooks, event, other);
      if (commands.some((c) => runsHook(c, CLAUDE_HOOKS[event].event))) elsewhere.set(event, other);
      else if (commands.length > 0) throw conflict(other, event, commands);
    }
  }
  let changed = false;
  for (const event of EVENTS) {
    const commands = commandsOf(hooks, event, target);
    if (commands.some((c) => runsHook(c, CLAUDE_HOOKS[event].event)) || elsewhere.has(event)) continue;
    if (commands.length > 0) throw conflict(target, event, commands);
    hooks[event] = [...groupsOf(hooks, event, target), { hooks: [{ type: 'command', command: CLAUDE_HOOKS[event].command }] }];
    changed = true;
  }
  if (changed) config['hooks'] = hooks;
  // Nothing to add and no file yet (both hooks already live in another settings file): write none.
  const files: PlannedFile[] = changed || current !== null ? [plannedFile(target, current, changed ? serializeJson(config, current?.text ?? null) : (current?.text ?? ''))] : [];
  const notes = [...new Set(elsewhere.values())].map((file) => `${file} already runs ravi-orchestrator's worktree hooks; they were not added twice.`);
  if (context.local) {
    notes.push(`For the MCP server (per user): claude mcp add --scope local ${MCP_SERVER_NAME} -- ${CLI} mcp`);
  } else {
    const mcpPath = join(context.root, '.mcp.json');
    files.push(planMcp(mcpPath, await readCurrent(mcpPath), notes));
  }
  return { files, exclude: [CLAUDE_WORKTREES_EXCLUDE, ...(context.local ? ['/.claude/settings.local.json'] : [])], notes };
}

/** Adds our server to `.mcp.json`; a server of that name the user already configured is left as it is. */
function planMcp(path: string, current: CurrentFile | null, notes: string[]): PlannedFile {
  const config = current === null ? {} : parseJsonObject(current.text, path);
  const servers = config['mcpServers'] ?? {};
  if (!isJsonObject(servers)) throw new AdapterConfigError(path, `"mcpServers" must be an object, got ${describeValue(servers)}`);
  if (servers[MCP_SERVER_NAME] !== undefined) {
    if (JSON.stringify(servers[MCP_SERVER_NAME]) !== JSON.stringify(MCP_SERVER)) notes.push(`${path} already defines the "${MCP_SERVER_NAME}" MCP server; it was left as it is.`);
    return plannedFile(path, current, current?.text ?? '');
  }
  config['mcpServers'] = { ...servers, [MCP_SERVER_NAME]: MCP_SERVER };
  notes.push(`Claude Code asks each user once to approve the project's MCP servers (${path}).`);
  return plannedFile(path, current, serializeJson(config, current?.text ?? null));
}

function hooksOf(config: JsonObject, file: string): JsonObject {
  const hooks = config['hooks'] ?? {};
  if (!isJsonObject(hooks)) throw new AdapterConfigError(file, `"hooks" must be an object, got ${describeValue(hooks)}`);
  return { ...hooks };
}

function groupsOf(hooks: JsonObject, event: HookEvent, file: string): JsonObject[] {
  const groups = hooks[event] ?? [];
  if (!Array.isArray(groups) || !groups.every(isJsonObject)) throw new AdapterConfigError(file, `"hooks.${event}" must be an array of {"hooks": [...]} objects`);
  return groups;
}

/** Every command (and the kind of any non-command hook) configured for `event`. */
function commandsOf(hooks: JsonObject, event: HookEvent, file: string): string[] {
  return groupsOf(hooks, event, file).flatMap((group, index) => {
    const list = group['hooks'] ?? [];
    if (!Array.isArray(list) || !list.every(isJsonObject)) throw new AdapterConfigError(file, `"hooks.${event}[${index}].hooks" must be an array of hook objects`);
    return list.map((hook) => (typeof hook['command'] === 'string' ? hook['command'] : `(a ${String(hook['type'])} hook)`));
  });
}

function conflict(file: string, event: HookEvent, commands: readonly string[]): AdapterConflictError {
  const what = event === 'WorktreeCreate' ? 'creates the worktree itself, and only one hook can' : 'removes the worktrees its create hook made';
  return new AdapterConflictError(
    file,
    `already has a ${event} hook (${commands.map((c) => JSON.stringify(c)).join(', ')}), which ${what}. Remove it and run init --claude again, ` +
      `or keep it and make it run \`${CLI} reconcile --worktree <path>\` after creating a worktree (\`${CLI} release --worktree <path>\` before removing one)`,
  );
}
