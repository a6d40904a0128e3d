/** `help [COMMAND [VERB]]`: the same text as `COMMAND --help`, or the command list. */
import { defineCommand, type Command } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { helpText } from '../help.js';
import { COMMAND_NAMES, isCommandName, loadCommand } from '../registry.js';
import { UsageError } from '../usage-error.js';

// Typed by hand: its choices come from the registry, whose type would otherwise depend on this module.
const help: Command = defineCommand({
  summary: 'show the command list, or one command\'s usage and options',
  flags: {},
  positionals: [
    { name: 'COMMAND', help: 'the command to explain', optional: true, choices: COMMAND_NAMES },
    { name: 'VERB', help: 'for commands with verbs (`service install`)', optional: true },
  ],
  async run({ positionals, io }) {
    const [name, verb] = positionals;
    if (name === undefined || !isCommandName(name)) {
      io.stdout.write(await helpText([], null));
      return ExitCode.OK;
    }
    const command = await loadCommand(name);
    if (verb === undefined || command.kind === 'command') {
      io.stdout.write(await helpText([name], command));
      return ExitCode.OK;
    }
    const sub = Object.hasOwn(command.subcommands, verb) ? command.subcommands[verb] : undefined;
    if (sub === undefined) throw new UsageError(`${name} has no command "${verb}" (it has ${Object.keys(command.subcommands).join(', ')})`, ['help']);
    io.stdout.write(await helpText([name, verb], sub));
    return ExitCode.OK;
  },
});

export default help;
