// The commands that help write pipelines rather than run them: `config` (the resolved configuration), `eval`
// (an expression against an event) and `test` (pipeline unit tests).
import type { Command } from 'commander';
import type { PluginEntry } from '../registry.js';
import { configCommand } from './config-command.js';
import { evalCommand } from './eval.js';
import { testCommand } from './pipeline-test.js';

export function addAuthoringCommands(program: Command, builtins: readonly PluginEntry[], exit: (code: number) => void) {
  program
    .command('config')
    .description('Print the configuration as a run sees it: ${VAR}s resolved, defaults filled in, secrets masked.')
    .argument('<paths...>', 'pipeline files or folders')
    .option('--json', 'as JSON instead of YAML')
    .action(async (paths: string[], o) => {
      exit(await configCommand(paths, o, builtins));
    });

  program
    .command('eval')
    .description('Evaluate a JSONata expression against one event, as a map processor would.')
    .argument('<expression>', "JSONata over { key, value, ts, headers }, e.g. 'value.speed * 3.6'")
    .option('--event <json>', 'the event as JSON: {"key":…,"value":…,"ts":…,"headers":{…}}')
    .option('--value <json>', 'only the value as JSON')
    .action(async (expression: string, o) => {
      exit(await evalCommand(expression, o, builtins));
    });

  program
    .command('test')
    .description(
      'Run pipeline unit tests declared in YAML: input events → expected output events. Exit 1 on a failure.',
    )
    .argument('<files...>', 'test files (*.test.yaml)')
    .action(async (files: string[]) => {
      exit(await testCommand(files, builtins));
    });
}
