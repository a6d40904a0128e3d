/**
 * Real git repositories in temp folders, for integration tests. Everything goes through real git commands.
 *
 *   import { afterAll } from 'vitest';
 *   import { cleanupTempDirs, createRepo } from '../support/git-fixtures.js';
 *   afterAll(cleanupTempDirs);
 *   const repo = await createRepo({ name: 'app' });          // <tmp>/app, branch main, one commit
 *   const wt = await repo.addWorktree('feat/x');              // <tmp>/app-worktrees/feat/x on branch feat/x
 *   await repo.git('status', '--porcelain');                  // stdout, trailing newline stripped
 *
 * Isolation: importing this module removes GIT_DIR & co. from process.env (a pre-commit hook running the
 * tests must not point git at this checkout) and sets GIT_CONFIG_GLOBAL=/dev/null + GIT_CONFIG_NOSYSTEM=1,
 * so both the fixtures and the code under test ignore the machine's git config (a global excludesFile listing
 * `.env` would otherwise change results). Vitest runs each test file in its own worker, so this stays local.
 */
import { execa } from 'execa';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** Environment overrides used for every git call here; spread them into your own execa/spawn env if needed. */
export const gitEnv: Readonly<Record<string, string>> = Object.freeze({
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
});

for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_PREFIX', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT']) {
  delete process.env[key];
}
Object.assign(process.env, gitEnv);

const tempDirs: string[] = [];

/** A fresh folder under os.tmpdir(), realpath'd (macOS /var -> /private/var); removed by cleanupTempDirs. */
export async function createTempDir(prefix = 'ravi-test-'): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder made by createTempDir (and so every repo and worktree). Use in afterAll. */
export async function cleanupTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
}

/** Runs git in `cwd` with gitEnv; returns stdout without its final newline. Throws on a non-zero exit. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, { cwd, env: gitEnv });
  return stdout;
}

export interface TestRepo {
  /** Main worktree (or, for a bare repo, the `<name>.git` folder). Realpath'd. */
  readonly path: string;
  /** Absolute, realpath'd git common dir (`<path>/.git`, or `path` itself when bare). */
  readonly commonDir: string;
  /** The temp folder holding the repo and its default worktrees folder. */
  readonly root: string;
  readonly bare: boolean;
  /** git in the repo's folder; returns stdout without its final newline. */
  git(...args: string[]): Promise<string>;
  /**
   * `git worktree add`. Default path: `<root>/<name>-worktrees/<worktree name>` (so `feat/x` nests folders like
   * Superset does); default branch: the name with characters a ref cannot hold (spaces, `~^:?*[\`) turned into
   * `-`, created from HEAD unless it exists. `path` may be absolute or relative to `root`. Returns the path.
   */
  addWorktree(name: string, options?: { branch?: string; detach?: boolean; path?: string }): Promise<string>;
  removeWorktree(path: string, options?: { force?: boolean }): Promise<void>;
  /** `git worktree move`; creates the parent of `to` first (`to` itself must not exist). */
  moveWorktree(from: string, to: string): Promise<void>;
  lockWorktree(path: string, reason?: string): Promise<void>;
  unlockWorktree(path: string): Promise<void>;
  prune(): Promise<void>;
  /** Writes a file in `worktree` (default: the main worktree), `git add`s and commits it. */
  commitFile(relPath: string, content: string, options?: { worktree?: string; message?: string }): Promise<void>;
}

/**
 * A real repo with one commit (README.md) on `main`, user.name/email and commit.gpgsign=false set locally.
 * `bare: true` makes `<root>/<name>.git`, filled by pushing the commit from a throwaway seed repo.
 */
export async function createRepo(options: { name?: string; bare?: boolean } = {}): Promise<TestRepo> {
  const name = (options.name ?? 'repo').replace(/\.git$/, '');
  const bare = options.bare ?? false;
  const root = await createTempDir('ravi-git-');
  const path = join(root, bare ? `${name}.git` : name);

  if (bare) {
    await git(root, '-c', 'init.defaultBranch=main', 'init', '--bare', '--quiet', path);
    const seed = join(root, '.seed');
    await initWorkingRepo(seed);
    await git(seed, 'push', '--quiet', path, 'main');
    await rm(seed, { recursive: true, force: true });
  } else {
    await initWorkingRepo(path);
  }
  await configure(path);
  const commonDir = await realpath(await git(path, 'rev-parse', '--path-format=absolute', '--git-common-dir'));
  return makeTestRepo({ path, commonDir, root, bare, name });
}

async function initWorkingRepo(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await git(path, '-c', 'init.defaultBranch=main', 'init', '--quiet');
  await configure(path);
  await writeFile(join(path, 'README.md'), '# test repo\n');
  await git(path, 'add', 'README.md');
  await git(path, 'commit', '--quiet', '-m', 'initial commit');
}

async function configure(path: string): Promise<void> {
  await git(path, 'config', 'user.name', 'Ravi Test');
  await git(path, 'config', 'user.email', 'test@example.com');
  await git(path, 'config', 'commit.gpgsign', 'false');
  await git(path, 'config', 'init.defaultBranch', 'main');
}

function makeTestRepo(base: { path: string; commonDir: string; root: string; bare: boolean; name: string }): TestRepo {
  const run = (...args: string[]): Promise<string> => git(base.path, ...args);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base.root, p));
  return {
    path: base.path,
    commonDir: base.commonDir,
    root: base.root,
    bare: base.bare,
    git: run,
    async addWorktree(name, options = {}) {
      const path = abs(options.path ?? join(`${base.name}-worktrees`, name));
      if (options.detach === true) {
        await run('worktree', 'add', '--quiet', '--detach', path, 'HEAD');
        return path;
      }
      const branch = options.branch ?? toBranchName(name);
      const exists = await execa('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
        cwd: base.path,
        env: gitEnv,
        reject: false,
      });
      if (exists.exitCode === 0) await run('worktree', 'add', '--quiet', path, branch);
      else await run('worktree', 'add', '--quiet', '-b', branch, path, 'HEAD');
      return path;
    },
    async removeWorktree(path, options = {}) {
      await run('worktree', 'remove', ...(options.force === true ? ['--force'] : []), path);
    },
    async moveWorktree(from, to) {
      await mkdir(dirname(abs(to)), { recursive: true });
      await run('worktree', 'move', from, abs(to));
    },
    async lockWorktree(path, reason) {
      await run('worktree', 'lock', ...(reason === undefined ? [] : ['--reason', reason]), path);
    },
    async unlockWorktree(path) {
      await run('worktree', 'unlock', path);
    },
    async prune() {
      await run('worktree', 'prune');
    },
    async commitFile(relPath, content, options = {}) {
      const cwd = options.worktree ?? base.path;
      await mkdir(dirname(join(cwd, relPath)), { recursive: true });
      await writeFile(join(cwd, relPath), content);
      await git(cwd, 'add', '--', relPath);
      await git(cwd, 'commit', '--quiet', '-m', options.message ?? `add ${basename(relPath)}`);
    },
  };
}

/** A worktree name as a branch: refs cannot hold spaces, control characters, `~^:?*[\`, `..` or `@{`. */
function toBranchName(name: string): string {
  return name.replace(/[\s\x00-\x1f\x7f~^:?*[\\]+/g, '-').replace(/\.\.+/g, '-').replace(/@\{/g, '-');
}
