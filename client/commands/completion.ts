// `ekm completion bash|zsh`: prints the shell completion script for every command and option of `ekm`.
import { Argument, type Command } from 'commander';
import { completionScript, completionShells, type CompletionShell } from '../completion';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script: source <(ekm completion bash), or zsh')
    .addArgument(new Argument('<shell>', 'the shell').choices(completionShells))
    .action((shell: CompletionShell) => {
      process.stdout.write(completionScript(shell, program));
    });
}
