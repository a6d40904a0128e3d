/** The config schema's stamp in the built program (schema-stamp.mjs says how it is made). */
export function schemaStampOf(distDir: string, modules: readonly string[], requireFrom: string): Promise<string>;
