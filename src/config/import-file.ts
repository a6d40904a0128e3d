/**
 * import() of a config file by URL, in a file of its own in the built program (scripts/build-cli.mjs pins a
 * module whose import() is of a computed specifier): the program's compile cache (bin/compile-cache.cjs) cannot
 * serve code that calls import(), and leaves such a file to Node. Were this in the program's entry, the entry could
 * not be cached.
 */
export async function importFile(url: string): Promise<unknown> {
  return import(url);
}
