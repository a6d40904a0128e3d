/**
 * What every adapter promises, tool by tool: a fresh repo gets its files; a second run writes nothing (not even
 * an mtime); --dry-run writes nothing and shows the content; a malformed existing file is refused with an error
 * naming the file and the problem, and nothing at all is written.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterConfigError } from '../../../src/init/adapters/errors.js';
import { ADAPTER_TOOLS, type AdapterTool } from '../../../src/init/adapters/types.js';
import { cleanupTempDirs, createRepo } from '../../support/git-fixtures.js';
import { initTool, initToolError, read, snapshot } from './helpers.js';

afterAll(cleanupTempDirs);

/** The file each tool reads, a malformed version of it, and the problem the error must name. */
const MALFORMED: Record<AdapterTool, { file: string; text: string; problem: RegExp }> = {
  claude: { file: '.claude/settings.json', text: '{"hooks": ', problem: /is not valid JSON/ },
  conductor: { file: '.conductor/settings.toml', text: '[scripts\nsetup = "x"\n', problem: /is not valid TOML at line 1, column \d+/ },
  cursor: { file: '.cursor/worktrees.json', text: '["npm ci"]\n', problem: /must hold a JSON object, got an array/ },
  codex: { file: '.codex/environments/environment.toml', text: 'version = 1\nname = "x"\n[setup]\nscript = 42\n', problem: /setup\.script must be a string, got a number/ },
  worktrunk: { file: '.config/wt.toml', text: 'pre-start = 3\n', problem: /"pre-start" must be a command string, a table of named commands or a list of those, got a number/ },
  gtr: { file: '.gtrconfig', text: '[hooks\n\tpostCreate = x\n', problem: /git cannot read it as a git-config file \(bad config line 1/ },
};

describe.each(ADAPTER_TOOLS)('init --%s', (tool) => {
  it('writes its files once: a second run writes nothing and leaves every byte and mtime', async () => {
    const repo = await createRepo();
    const first = await initTool(repo, tool);
    const paths = first.files.map((f) => f.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(first.files.every((f) => f.state === 'create')).toBe(true);
    for (const path of paths) expect(first.written).toContain(path);
    const before = await Promise.all(paths.map(snapshot));
    await new Promise((resolve) => setTimeout(resolve, 20)); // an mtime change must be visible
    const second = await initTool(repo, tool);
    expect(second.written).toEqual([]);
    expect(second.files.every((f) => f.state === 'unchanged')).toBe(true);
    expect(await Promise.all(paths.map(snapshot))).toEqual(before);
  });

  it('--dry-run shows the files and writes nothing', async () => {
    const repo = await createRepo();
    const exclude = await read(join(repo.commonDir, 'info', 'exclude')).catch(() => null);
    const report = await initTool(repo, tool, { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.written).toEqual([]);
    expect(report.files.length).toBeGreaterThan(0);
    for (const file of report.files) {
      expect(file.state).toBe('create');
      expect(file.content).toContain('ravi-orchestrator');
      expect(existsSync(file.path)).toBe(false);
    }
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await read(join(repo.commonDir, 'info', 'exclude')).catch(() => null)).toBe(exclude);
  });

  it('refuses a malformed config, naming file and problem, and writes nothing', async () => {
    const repo = await createRepo();
    const { file, text, problem } = MALFORMED[tool];
    const path = join(repo.path, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    const error = await initToolError(repo, tool);
    expect(error).toBeInstanceOf(AdapterConfigError);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('Nothing was written');
    expect(await read(path)).toBe(text);
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe(`?? ${file}`);
  });
});
