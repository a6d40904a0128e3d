/**
 * `transpileChecked`: one TypeScript `transpileModule` call that yields both the JavaScript of a config file
 * and its first syntax error (with line and column). `typescript` is a 9 MB module that takes about a third
 * of a second to import, so it is imported here, lazily, and only by callers that could not avoid it.
 */
import { createRequire } from 'node:module';
import { findImportSites, type ImportSite } from './portable-module.js';

/**
 * What a config file's source turns into: runnable JavaScript, or the reason it does not parse. `imports` is
 * there only when the JavaScript is portable (see portable-module.ts): the specifiers to make absolute.
 */
export type Transpiled =
  | { readonly ok: true; readonly js: string; readonly imports?: readonly ImportSite[] }
  | { readonly ok: false; readonly syntaxError: string };

export async function transpileChecked(filepath: string, content: string): Promise<Transpiled> {
  const ts = (await import('typescript')).default;
  const { outputText, diagnostics = [] } = ts.transpileModule(content, {
    fileName: filepath,
    reportDiagnostics: true,
    // No tsconfig.json is read: a project's settings (verbatimModuleSyntax, importHelpers) would only
    // make a config file fail to run, and the output must depend on the source alone to be cached.
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  // transpileModule emits even when the source does not parse (`repos: [` becomes `repos: []`).
  const first = diagnostics.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (first === undefined) {
    const imports = findImportSites(ts, outputText);
    return imports === null ? { ok: true, js: outputText } : { ok: true, js: outputText, imports };
  }
  const at = first.file && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : null;
  const where = at ? `syntax error at line ${at.line + 1}, column ${at.character + 1}: ` : 'syntax error: ';
  return { ok: false, syntaxError: `${where}${ts.flattenDiagnosticMessageText(first.messageText, ' ')}` };
}

/** Throws a SyntaxError with line and column if `content` does not parse (as TS or JS, by file name). */
export async function checkSyntax(filepath: string, content: string, cause?: unknown): Promise<void> {
  const result = await transpileChecked(filepath, content);
  if (!result.ok) throw new SyntaxError(result.syntaxError, { cause });
}

let version: string | undefined;

/** The version of the `typescript` that `transpileChecked` would import, read without importing it. */
export function typescriptVersion(): string {
  version ??= (createRequire(import.meta.url)('typescript/package.json') as { version: string }).version;
  return version;
}
