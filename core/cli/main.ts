// The `sluice` command: one file per subcommand, wired here.
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeMaxDuration, MAX_TIMER_MS, parseDuration } from '../duration.js';
import type { Plugin } from '../plugin.js';
import { addAuthoringCommands } from './authoring.js';
import { docsCommand } from './docs.js';
import { EXIT } from './exit-codes.js';
import { offsetsCommand } from './offsets.js';
import { packageVersion } from './package-version.js';
import { pluginsCommand } from './plugins.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { unknownCommand } from './unknown-command.js';
import { validateCommand } from './validate.js';

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('use milliseconds or text like 500ms, 10s, 1m');
  if (ms > MAX_TIMER_MS) throw new InvalidArgumentError(`the longest is ${describeMaxDuration(MAX_TIMER_MS)}`);
  return ms;
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('use a whole number of at least 1');
  return n;
}

const redisOption = () =>
  new Option('--redis <url>', 'Redis URL (overrides `redis:` in the files)').env('SLUICE_REDIS');
const prefixOption = () => new Option('--prefix <prefix>', 'key prefix of the deployment').default('sluice');

/** The `sluice` program with every command; `exitCode()` is what the command that ran asks to exit with. */
export function buildProgram(builtins: readonly Plugin[]): { program: Command; exitCode: () => number } {
  let code: number = EXIT.ok;
  const program = new Command()
    .name('sluice')
    .description('Event streaming platform: sources → processors → durable topics → sinks.')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  // run and worker take the same pipeline paths and the same runtime options.
  const runtimeCommand = (name: string, description: string, grace: string) =>
    program
      .command(name)
      .description(description)
      .argument('<paths...>', 'pipeline files or folders of *.yaml files')
      .addOption(redisOption())
      .addOption(new Option('--grace <duration>', grace).argParser(durationArg).default(30_000, '30s'))
      .option('--concurrency <n>', 'delivery batches run at once in this process', intArg, 8)
      .addOption(
        new Option('--log-level <level>', 'least severe log level shown')
          .choices(['trace', 'debug', 'info', 'warn', 'error'])
          .default('info'),
      );

  runtimeCommand(
    'run',
    'Run pipelines. Embedded (in memory, one process) unless Redis is configured; exits 0 when every finite source is done and delivered.',
    'time to drain on SIGINT/SIGTERM before exiting',
  )
    .option('--no-status', 'no live status line on a terminal')
    .action(async (paths: string[], o) => {
      const { redis, grace, concurrency, logLevel } = o;
      const status = o.status === false ? false : undefined;
      code = await runCommand(paths, { redis, grace, concurrency, logLevel, status }, builtins);
    });

  runtimeCommand(
    'worker',
    "Join a worker fleet on Redis and share the pipelines' work with every other worker. Runs until SIGINT/SIGTERM.",
    'time to finish or release in-flight jobs on SIGTERM',
  )
    .option('--no-ingest', 'do not run sources on this worker')
    .option('--no-deliver', 'do not deliver to sinks on this worker')
    .action(async (paths: string[], o) => {
      const { redis, grace, concurrency, logLevel } = o;
      const roles = { ingest: o.ingest, deliver: o.deliver };
      code = await runCommand(
        paths,
        { redis, grace, concurrency, logLevel, status: false, isWorker: true, roles },
        builtins,
      );
    });

  program
    .command('validate')
    .description(
      'Check pipeline files (keys, types, references, ${VAR}s) without starting anything. Exit 2 on problems.',
    )
    .argument('<paths...>', 'pipeline files or folders')
    .option('-q, --quiet', 'print nothing when valid')
    .option('--connect', 'also check that sources and sinks can connect (credentials, tables, hosts)')
    .action(async (paths: string[], o) => {
      code = await validateCommand(paths, o, builtins);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of pipeline files (for editors: yaml-language-server).')
    .option('--plugin <module...>', 'also cover these plugin modules')
    .action(async (o) => {
      code = await schemaCommand(o, builtins);
    });

  program
    .command('plugins')
    .description('List every source, processor and sink with its summary.')
    .option('--json', 'as JSON')
    .option('--plugin <module...>', 'also list these plugin modules')
    .action(async (o) => {
      code = await pluginsCommand(o, builtins);
    });

  program
    .command('docs')
    .description('Write the reference pages of every plugin, generated from their config schemas.')
    .option('--out <dir>', 'folder to write to', 'docs/reference')
    .action((o) => {
      code = docsCommand(o, builtins);
    });

  program
    .command('status')
    .description('Topics, subscriptions (lag, pending), dead-letter counts, live workers and their jobs.')
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--json', 'as JSON')
    .action(async (o) => {
      code = await statusCommand(o);
    });

  program
    .command('replay')
    .description('Move a subscription so its sink receives stored events again (or skips them).')
    .argument('<topic>', 'topic name')
    .requiredOption('--subscription <name>', 'subscription: <pipeline>.<sink name>')
    .requiredOption('--from <position>', 'ISO time, event id (0-1700000000000-0), beginning or end')
    .addOption(redisOption())
    .addOption(prefixOption())
    .action(async (topic: string, o) => {
      code = await replayCommand(topic, o);
    });

  program
    .command('offsets')
    .description('Show subscription positions and source checkpoints; reset a source checkpoint.')
    .argument('[topic]', 'only this topic')
    .addOption(redisOption())
    .addOption(prefixOption())
    .option('--reset-source <pipeline>', "forget the checkpoint of this pipeline's source (it starts over)")
    .option('--set-source <pipeline=json>', "set the checkpoint of this pipeline's source to a JSON value")
    .option('--json', 'as JSON')
    .action(async (topic: string | undefined, o) => {
      code = await offsetsCommand(topic, o);
    });

  addAuthoringCommands(program, builtins, (c: number) => {
    code = c;
  });
  return { program, exitCode: () => code };
}

export async function main(argv: string[], builtins: readonly Plugin[]): Promise<void> {
  const { program, exitCode } = buildProgram(builtins);
  let code: number;
  const unknown = unknownCommand(program, argv.slice(2));
  if (unknown) {
    process.stderr.write(`${unknown}\n`);
    code = EXIT.config;
  } else {
    try {
      await program.parseAsync(argv);
      code = exitCode();
    } catch (err) {
      const e = err as { code?: string; exitCode?: number };
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        code = EXIT.ok;
      else code = e.exitCode === undefined ? EXIT.failure : EXIT.config;
    }
  }
  process.exitCode = code;
  // A library may keep a handle open after a clean close (BullMQ pauses up to 5 s when Redis is away): the work is
  // done and flushed by now, so do not let that hold the exit for long.
  setTimeout(() => process.exit(code), 2000).unref();
}
