/** `completion bash|zsh|fish`: a completion script generated from the command declarations. */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

export default defineCommand({
  summary: 'print a shell completion script (bash, zsh or fish)',
  description:
    'Prints a completion script for SHELL, generated from the same declarations as the parser and --help, so it knows ' +
    'every command, verb, flag and value list. bash: `source <(ravi-orchestrator completion bash)` in ~/.bashrc. zsh: ' +
    '`ravi-orchestrator completion zsh > "${fpath[1]}/_ravi-orchestrator"`, or `source <(ravi-orchestrator completion zsh)` ' +
    'after compinit. fish: `ravi-orchestrator completion fish > ~/.config/fish/completions/ravi-orchestrator.fish`.',
  flags: {},
  positionals: [{ name: 'SHELL', help: 'the shell to complete in', choices: ['bash', 'zsh', 'fish'] }],
  examples: ['completion bash', 'completion zsh', 'completion fish'],
  async run({ positionals, io }) {
    const [{ loadAllCommands }, { completionModel }] = await Promise.all([import('../registry.js'), import('../completion/model.js')]);
    const nodes = completionModel(await loadAllCommands());
    const shell = positionals[0];
    const script =
      shell === 'bash'
        ? (await import('../completion/bash.js')).bashScript(nodes)
        : shell === 'zsh'
          ? (await import('../completion/zsh.js')).zshScript(nodes)
          : (await import('../completion/fish.js')).fishScript(nodes);
    io.stdout.write(script);
    return ExitCode.OK;
  },
});
