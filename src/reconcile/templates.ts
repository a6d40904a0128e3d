/** Placeholder substitution for identity names and env var templates. Pure. */

export interface TemplateValues {
  readonly [placeholder: string]: string;
}

/** Replaces `{name}` (and `{port:N}`) placeholders; unknown placeholders were rejected when the config was loaded. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{([a-z]+(?::\d+)?)\}/g, (match, name: string) => values[name] ?? match);
}

/** `refs/heads/feat/x` -> `feat/x`; null (detached, bare) -> ''. */
export function shortBranch(ref: string | null): string {
  if (ref === null) return '';
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}
