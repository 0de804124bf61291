// The commands that steer a running fleet beyond status and offsets: `dlq` (dead letters), `subscriptions`
// (remove one nobody runs) and `tap` (a live sample of events).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { dlqDiscardCommand, dlqListCommand, dlqRedriveCommand, dlqShowCommand } from './dlq.js';
import { prefixOption, redisOption } from './fleet-options.js';
import { subscriptionsDeleteCommand, subscriptionsListCommand } from './subscriptions.js';
import { tapCommand } from './tap.js';

function shareArg(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('use a share above 0 and at most 1, e.g. 0.1');
  return n;
}

function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('use a whole number of at least 1');
  return n;
}

/** The options that select dead letters, shared by list, redrive and discard. */
function withFilter(command: Command): Command {
  return command
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--topic <topic>', 'only this dead-letter topic (default: every one)')
    .option('--pipeline <name>', 'only dead letters of this pipeline')
    .option('--sink <name>', 'only dead letters of this sink: its subscription (<pipeline>.<sink>) or name')
    .option('--code <code>', 'only dead letters with this error code, e.g. E_VALIDATE')
    .option('--since <time>', 'only dead letters stored at or after this ISO time or age (1h)')
    .option('--until <time>', 'only dead letters stored at or before this ISO time or age')
    .option('--json', 'as JSON');
}

export function addOperationsCommands(program: Command, exit: (code: number) => void) {
  const dlq = program
    .command('dlq')
    .description('Dead letters: list, show, redrive to the sink they failed in, discard with a reason.');

  withFilter(dlq.command('list').description('List dead letters with their error, attempts and origin.'))
    .option('--id <ids...>', 'only these dead-letter ids')
    .option('--redriven', 'only the redriven ones')
    .option('--discarded', 'only the discarded ones, with why')
    .option('--all', 'dead, redriven and discarded')
    .option('--limit <n>', 'at most this many', countArg)
    .option('--file <path>', "read an embedded run's dead-letter file (sluice-dead-letters.ndjson) instead of Redis")
    .action(async (o) => {
      exit(await dlqListCommand(o));
    });

  dlq
    .command('show')
    .description('One dead letter in full: event, headers, error, origin, what became of it.')
    .argument('<id>', 'dead-letter id, as `dlq list` prints it')
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--topic <topic>', 'the dead-letter topic (default: search every one)')
    .option('--file <path>', "read an embedded run's dead-letter file instead of Redis")
    .action(async (id: string, o) => {
      exit(await dlqShowCommand(id, o));
    });

  withFilter(
    dlq
      .command('redrive')
      .description('Send dead letters back to the sink they failed in, once each; optionally edited first.')
      .argument('[ids...]', 'dead-letter ids (or select with the filter options)'),
  )
    .option('--all-matching', 'with no ids and no filter: every dead letter')
    .option(
      '--edit <jsonata>',
      `new value from { key, value, ts, headers }, e.g. 'value ~> |$|{"speed": $number(speed)}|'`,
    )
    .option('--dry-run', 'say what would be redriven; change nothing')
    .action(async (ids: string[], o) => {
      exit(await dlqRedriveCommand(ids, o));
    });

  withFilter(
    dlq
      .command('discard')
      .description('Mark dead letters as dealt with; the reason stays recorded (`dlq list --discarded`).')
      .argument('[ids...]', 'dead-letter ids (or select with the filter options)'),
  )
    .addOption(new Option('--reason <text>', 'why they are discarded (required)'))
    .option('--all-matching', 'with no ids and no filter: every dead letter')
    .option('--dry-run', 'say how many would be discarded; change nothing')
    .action(async (ids: string[], o) => {
      exit(await dlqDiscardCommand(ids, o));
    });

  program
    .command('tap')
    .description("Print a live sample of a pipeline's events at one stage as NDJSON, from a process's admin port.")
    .argument('<pipeline>', 'pipeline name')
    .option(
      '--stage <stage>',
      'topic (default), processor:<i>, sink:<name>, or sink:<name>:processor:<i> (after that processor)',
    )
    .option('--sample <share>', 'show this share of the events, e.g. 0.01', shareArg)
    .option('--limit <n>', 'stop after this many events', countArg)
    .addOption(new Option('--admin <url>', 'admin port of a running run or worker').env('SLUICE_ADMIN'))
    .addOption(new Option('--token <token>', 'admin API token').env('SLUICE_ADMIN_TOKEN'))
    .action(async (pipeline: string, o) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      try {
        exit(await tapCommand(pipeline, o, stop.signal));
      } finally {
        process.off('SIGINT', onSignal);
      }
    });

  const subscriptions = program
    .command('subscriptions')
    .description('Subscriptions: where each stands, whether a running pipeline uses it; delete one nobody runs.');

  subscriptions
    .command('list')
    .description('Every subscription with its lag and pending, marked UNUSED when no running pipeline uses it.')
    .argument('[topic]', 'only this topic')
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--json', 'as JSON')
    .action(async (topic: string | undefined, o) => {
      exit(await subscriptionsListCommand(topic, o));
    });

  subscriptions
    .command('delete')
    .description('Delete a subscription no running pipeline uses (its position; the events stay stored).')
    .argument('<topic>', 'topic name')
    .argument('<subscription>', 'subscription: <pipeline>.<sink name>')
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--dry-run', 'say what would be deleted; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'as JSON')
    .action(async (topic: string, subscription: string, o) => {
      exit(await subscriptionsDeleteCommand(topic, subscription, o));
    });
}
