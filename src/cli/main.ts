#!/usr/bin/env node
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '--version' || argv[0] === '-v')) {
  // Answered before the parser and the command table load: `version` is the start-up baseline (issue 16).
  process.stdout.on('error', () => process.exit(0)); // a reader that closed stdout (`| head -0`) has seen enough
  const { packageVersion } = await import('./package-version.js'); // here, not at the top: no other command reads it
  process.stdout.write(`${packageVersion()}\n`);
} else {
  const [{ runCli }, { processIo }] = await Promise.all([import('./run.js'), import('./io.js')]);
  process.exitCode = await runCli(argv, processIo());
}
