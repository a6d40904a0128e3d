/**
 * `findImportSites` and `portableModuleUrl`: how a transpiled .ts config runs without a temp file next to it.
 * Every CLI run used to write `<config>.<uuid>.mjs` beside the config and delete it, which file watchers in
 * the user's repo (vite, jest --watch, IDEs) saw as an add and an unlink on every command.
 *
 * A module is "portable" when where it runs from cannot change what it does: no dynamic `import()`, no
 * `import.meta`, no `require`/`createRequire`/`eval`/`Function`, and every static specifier is a builtin, a
 * relative path, or exactly `ravi-orchestrator` (for defineConfig). Those sites are found on the emitted
 * JavaScript (so type-only imports, which are elided, do not count), cached with it, and resolved again on
 * every load the way Node would resolve them from the config's folder, then written into the code as
 * absolute file: URLs. The result runs from a data: URL, made of the very bytes read from the verified
 * cache entry: nothing is written anywhere and nothing is opened again by path between check and import.
 */
import { isBuiltin } from 'node:module';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type TypeScript from 'typescript';
import { resolveRaviOrchestrator, SELF_PACKAGE } from './resolve-self-package.js';

/** A module specifier in the emitted JavaScript that must be made absolute: `js.slice(start, end)` is its quoted literal. */
export interface ImportSite {
  readonly start: number;
  readonly end: number;
  readonly specifier: string;
}

/** Identifiers whose meaning depends on the module's own location (or that can import by string at run time). */
const LOCATION_DEPENDENT = new Set(['require', 'createRequire', 'eval', 'Function']);

/** The specifiers to rewrite in `js`, in source order, or null if the module is not portable. */
export function findImportSites(ts: typeof TypeScript, js: string): ImportSite[] | null {
  const file = ts.createSourceFile('config.mjs', js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const sites: ImportSite[] = [];
  let portable = true;
  const visit = (node: TypeScript.Node): void => {
    if (!portable) return;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const literal = node.moduleSpecifier;
      if (literal !== undefined) {
        const site = ts.isStringLiteral(literal) ? siteFor(literal.text, literal.getStart(file), literal.end, js) : 'not portable';
        if (site === 'not portable') portable = false;
        else if (site !== null) sites.push(site);
      }
    } else if (
      ts.isImportEqualsDeclaration(node) ||
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) ||
      (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) ||
      (ts.isIdentifier(node) && LOCATION_DEPENDENT.has(node.text))
    ) {
      portable = false;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return portable ? sites : null;
}

/** A site to rewrite, null for a builtin (the same from anywhere), or 'not portable'. */
function siteFor(specifier: string, start: number, end: number, js: string): ImportSite | null | 'not portable' {
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return null;
  // Written plainly (no escapes), so that the literal can be replaced by position.
  if (js.slice(start + 1, end - 1) !== specifier) return 'not portable';
  if (specifier === SELF_PACKAGE) return { start, end, specifier };
  // Relative paths only, and none that a URL would read differently from a path (query, fragment, escapes).
  const relative = specifier.startsWith('./') || specifier.startsWith('../');
  return relative && !/[?#%\\]/.test(specifier) ? { start, end, specifier } : 'not portable';
}

/**
 * A data: URL that runs `js` as if it were imported from a file next to `configFile`, or null when one of
 * its imports does not resolve here (the caller then uses the temp file, which reports Node's own error).
 * Unique per call, so that each load evaluates the config again, like the temp file did.
 */
export async function portableModuleUrl(configFile: string, js: string, sites: readonly ImportSite[], loadId: string): Promise<string | null> {
  // The temp file would sit in the config's folder and Node resolves from its real path: so do we.
  const base = pathToFileURL(path.join(await realpath(path.dirname(configFile)), path.basename(configFile)));
  let code = '';
  let from = 0;
  for (const site of sites) {
    if (site.start < from || site.end > js.length || js.slice(site.start + 1, site.end - 1) !== site.specifier) return null;
    const url = site.specifier === SELF_PACKAGE ? await resolveRaviOrchestrator(base) : await resolveRelative(site.specifier, base);
    if (url === null) return null;
    code += `${js.slice(from, site.start)}${JSON.stringify(url)}`;
    from = site.end;
  }
  code += js.slice(from);
  // Stack traces name the config file (their lines are the JavaScript's) instead of a long data: URL.
  code += `\n//# sourceURL=${base.href}\n`;
  return `data:text/javascript;base64,${Buffer.from(code).toString('base64')}#${loadId}`;
}

/** The file: URL Node would load for `./x.js` from `base`, if it is a file (else null: a missing file or a folder). */
async function resolveRelative(specifier: string, base: URL): Promise<string | null> {
  const url = new URL(specifier, base);
  const info = await stat(fileURLToPath(url)).catch(() => null);
  return info?.isFile() ? url.href : null;
}
