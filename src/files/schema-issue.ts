/**
 * Where a file failed its schema, for the "is malformed at ..." messages of the files we keep. The state
 * files are validated with valibot, not zod: every command reads them, and on Node 20 `import('zod')` takes
 * about 100 ms (95 modules) where valibot's single module takes about 10 ms (measured side by side, 2026-12-01).
 */
import { getDotPath, type BaseIssue } from 'valibot';

export function firstIssue(issues: readonly BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return '(root): invalid';
  return `${getDotPath(issue) ?? '(root)'}: ${issue.message}`;
}
