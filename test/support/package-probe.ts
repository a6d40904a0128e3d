/**
 * Which packages a process of the built CLI loaded: a --import probe that records every file: URL the process
 * resolves (ESM, through a module.register hook) and what its CommonJS cache holds, and prints the packages among
 * them on exit. For tests that a command or the daemon loads no package it has no use for.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const PROBE = `import { createRequire, register } from 'node:module';
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) port.postMessage(r.url); return r; }'), { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => {
  const files = [...seen, ...Object.keys(createRequire(import.meta.url).cache)];
  const packages = new Set(files.map((file) => /node_modules[\\\\/]((@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file)?.[1]).filter(Boolean));
  process.stderr.write('\\npackages loaded: ' + [...packages].sort().join(' ') + '\\n');
});
`;

/** Writes the probe into `folder`; returns the NODE_OPTIONS that load it. */
export async function writePackageProbe(folder: string): Promise<string> {
  const probe = join(folder, 'package-probe.mjs');
  await writeFile(probe, PROBE);
  return `--import=${pathToFileURL(probe).href}`;
}

/** The packages the probe printed in `output` (the process's stderr) when it exited, or null when it printed none. */
export function packagesLoaded(output: string): string[] | null {
  return /^packages loaded: (.*)$/m.exec(output)?.[1]?.split(' ') ?? null;
}
