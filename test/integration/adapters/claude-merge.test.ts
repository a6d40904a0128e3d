/** init --claude against existing Claude Code settings: kept, merged, conflicts refused, --local. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLAUDE_HOOKS, MCP_SERVER } from '../../../src/init/adapters/claude.js';
import { AdapterConflictError } from '../../../src/init/adapters/errors.js';
import { cleanupTempDirs, createRepo, createTempDir } from '../../support/git-fixtures.js';
import { initTool, initToolError, read } from './helpers.js';

afterAll(cleanupTempDirs);

const ours = (event: keyof typeof CLAUDE_HOOKS) => ({ hooks: [{ type: 'command', command: CLAUDE_HOOKS[event].command }] });

describe('init --claude merging', () => {
  it('keeps every key, hook and server, adds ours, and keeps the file\'s tab indentation', async () => {
    const repo = await createRepo();
    const settings = {
      permissions: { allow: ['Bash(npm test)'] },
      env: { FOO: 'bar' },
      hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './check.sh' }] }] },
    };
    await repo.commitFile('.claude/settings.json', `${JSON.stringify(settings, null, '\t')}\n`);
    await repo.commitFile('.mcp.json', JSON.stringify({ mcpServers: { docs: { command: 'docs-mcp' } } }));
    const report = await initTool(repo, 'claude');
    const text = await read(join(repo.path, '.claude', 'settings.json'));
    expect(text).toMatch(/^\{\n\t"permissions"/);
    expect(JSON.parse(text)).toEqual({ ...settings, hooks: { ...settings.hooks, WorktreeCreate: [ours('WorktreeCreate')], WorktreeRemove: [ours('WorktreeRemove')] } });
    expect(JSON.parse(await read(join(repo.path, '.mcp.json')))).toEqual({ mcpServers: { docs: { command: 'docs-mcp' }, 'ravi-orchestrator': MCP_SERVER } });
    // Worktrees the hook makes under .claude/worktrees/ stay out of the main checkout's git status.
    expect(await read(join(repo.commonDir, 'info', 'exclude'))).toContain('/.claude/worktrees/');
    expect(report.notes.join('\n')).toContain('approve the project\'s MCP servers');
  });

  it('refuses when another WorktreeCreate hook exists (it would create a second worktree), in any settings file', async () => {
    const repo = await createRepo();
    const foreign = { hooks: { WorktreeCreate: [{ hooks: [{ type: 'command', command: 'wt switch --create "$name"' }] }] } };
    await repo.commitFile('.claude/settings.json', JSON.stringify(foreign));
    const error = await initToolError(repo, 'claude');
    expect(error).toBeInstanceOf(AdapterConflictError);
    expect(error.message).toContain(join(repo.path, '.claude', 'settings.json'));
    expect(error.message).toContain('already has a WorktreeCreate hook ("wt switch --create \\"$name\\"")');
    expect(JSON.parse(await read(join(repo.path, '.claude', 'settings.json')))).toEqual(foreign);
    expect(existsSync(join(repo.path, '.mcp.json'))).toBe(false);

    // The same hook in the user's own settings conflicts with a project one too.
    const other = await createRepo();
    const home = await createTempDir('ravi-claude-home-');
    await mkdir(join(home, '.claude'), { recursive: true });
    await writeFile(join(home, '.claude', 'settings.json'), JSON.stringify(foreign));
    const userError = await initToolError(other, 'claude', { home });
    expect(userError.message).toContain(join(home, '.claude', 'settings.json'));
    expect(existsSync(join(other.path, '.claude'))).toBe(false);
  });

  it('--local writes settings.local.json, keeps it out of git status, and does not add hooks the shared file runs', async () => {
    const repo = await createRepo();
    const report = await initTool(repo, 'claude', { local: true });
    const local = join(repo.path, '.claude', 'settings.local.json');
    expect(JSON.parse(await read(local)).hooks.WorktreeCreate).toEqual([ours('WorktreeCreate')]);
    expect(existsSync(join(repo.path, '.mcp.json'))).toBe(false);
    expect(report.notes.join('\n')).toContain('claude mcp add --scope local ravi-orchestrator -- ravi-orchestrator mcp');
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');

    // Shared hooks added later: a second copy in the local file would run twice, so none is added...
    const other = await createRepo();
    await initTool(other, 'claude');
    const second = await initTool(other, 'claude', { local: true });
    expect(existsSync(join(other.path, '.claude', 'settings.local.json'))).toBe(false);
    expect(second.notes.join('\n')).toContain('already runs ravi-orchestrator\'s worktree hooks');
  });

  it('leaves a ravi-orchestrator MCP server the user configured as it is', async () => {
    const repo = await createRepo();
    const custom = { command: 'npx', args: ['--yes', 'ravi-orchestrator', 'mcp'] };
    await repo.commitFile('.mcp.json', JSON.stringify({ mcpServers: { 'ravi-orchestrator': custom } }, null, 2));
    const report = await initTool(repo, 'claude');
    expect(JSON.parse(await read(join(repo.path, '.mcp.json')))).toEqual({ mcpServers: { 'ravi-orchestrator': custom } });
    expect(report.files.find((f) => f.path.endsWith('.mcp.json'))?.state).toBe('unchanged');
    expect(report.notes.join('\n')).toContain('already defines the "ravi-orchestrator" MCP server');
  });
});
