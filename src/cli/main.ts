#!/usr/bin/env node
// No top-level await here: in the built program (scripts/build-cli.mjs) this module shares one file with the code
// every agent command runs, and the other files import that code from it; a module that awaited them would wait
// for itself (Node exits 13 with the await unsettled).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '--version' || argv[0] === '-v')) {
  // Answered before the parser and the command table load: `version` is the start-up baseline (issue 16).
  process.stdout.on('error', () => process.exit(0)); // a reader that closed stdout (`| head -0`) has seen enough
  void import('./package-version.js').then(({ packageVersion }) => process.stdout.write(`${packageVersion()}\n`)); // here, not at the top: no other command reads it
} else {
  void Promise.all([import('./run.js'), import('./io.js')]).then(async ([{ runCli }, { processIo }]) => {
    process.exitCode = await runCli(argv, processIo());
  });
}
