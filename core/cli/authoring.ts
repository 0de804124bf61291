// The commands that help write pipelines rather than run them: `config` (the resolved configuration) and
// `eval` (an expression against an event).
import type { Command } from 'commander';
import type { Plugin } from '../plugin.js';
import { configCommand } from './config-command.js';
import { evalCommand } from './eval.js';

export function addAuthoringCommands(program: Command, builtins: readonly Plugin[], exit: (code: number) => void) {
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
}
