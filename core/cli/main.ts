// The `sluice` command: one file per subcommand, wired here.
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { describeMaxDuration, MAX_TIMER_MS, parseDuration } from '../duration.js';
import type { PluginEntry } from '../registry.js';
import { addAuthoringCommands } from './authoring.js';
import { DEFAULT_DEAD_LETTER_FILE } from './dead-letter-file.js';
import { docsCommand } from './docs.js';
import { EXIT } from './exit-codes.js';
import { prefixOption, redisOption } from './fleet-options.js';
import { type NewKind, newCommand } from './new.js';
import { offsetsCommand } from './offsets.js';
import { addOperationsCommands } from './operations-commands.js';
import { packageVersion } from './package-version.js';
import { pluginsCommand } from './plugins.js';
import { queryCommand } from './query.js';
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

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('use a port number, 0 to 65535');
  return n;
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('use a whole number of at least 1');
  return n;
}

/** The `sluice` program with every command; `exitCode()` is what the command that ran asks to exit with. */
export function buildProgram(builtins: readonly PluginEntry[]): { program: Command; exitCode: () => number } {
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
      )
      .addOption(
        new Option(
          '--log-format <format>',
          'json lines, or pretty lines for people (default: pretty on a terminal)',
        ).choices(['json', 'pretty']),
      )
      .option(
        '--admin <[host:]port>',
        'serve /metrics, /healthz, /readyz and the admin API on this port (loopback unless a host is given; 0: any free port)',
      )
      .addOption(
        new Option(
          '--admin-token <token>',
          'bearer token the admin API asks for (needed for a non-loopback --admin)',
        ).env('SLUICE_ADMIN_TOKEN'),
      )
      .option('--console', 'serve the web console at /console/ on the admin port (needs --admin; same token)')
      .option(
        '--query-port <port>',
        'answer SQL over the stored topics at POST /query on this port (the admin port also serves POST /query)',
        portArg,
      )
      .option('--query-host <host>', 'address the query endpoint listens on', '127.0.0.1')
      .option('--watch', 'apply changed pipeline files without a restart; an invalid change is logged and not applied');

  runtimeCommand(
    'run',
    'Run pipelines. Embedded (in memory, one process) unless Redis is configured; exits 0 when every finite source is done and delivered.',
    'time to drain on SIGINT/SIGTERM before exiting',
  )
    .option('--no-status', 'no live status line on a terminal')
    .option(
      '--dead-letters <file>',
      "embedded: append the run's dead-lettered events to this NDJSON file when it ends",
      DEFAULT_DEAD_LETTER_FILE,
    )
    .option('--force', 'embedded: exit 0 even if stored events were not delivered when the run stopped (they are lost)')
    .action(async (paths: string[], o) => {
      const { redis, grace, concurrency, logLevel, force, queryPort, queryHost, admin, adminToken, logFormat, watch } =
        o;
      const status = o.status === false ? false : undefined;
      code = await runCommand(
        paths,
        {
          redis,
          grace,
          concurrency,
          logLevel,
          status,
          force,
          deadLetterFile: o.deadLetters,
          queryPort,
          queryHost,
          watch,
          admin,
          adminToken,
          console: o.console,
          logFormat,
        },
        builtins,
      );
    });

  runtimeCommand(
    'worker',
    "Join a worker fleet on Redis and share the pipelines' work with every other worker. Runs until SIGINT/SIGTERM.",
    'time to finish or release in-flight jobs on SIGTERM',
  )
    .option('--no-ingest', 'do not run sources on this worker')
    .option('--no-deliver', 'do not deliver to sinks on this worker')
    .action(async (paths: string[], o) => {
      const { redis, grace, concurrency, logLevel, queryPort, queryHost, admin, adminToken, logFormat, watch } = o;
      const roles = { ingest: o.ingest, deliver: o.deliver };
      code = await runCommand(
        paths,
        {
          redis,
          grace,
          concurrency,
          logLevel,
          status: false,
          isWorker: true,
          roles,
          queryPort,
          queryHost,
          admin,
          adminToken,
          console: o.console,
          logFormat,
          watch,
        },
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
    .description(
      'Write the reference pages of every plugin (or of plugin modules), generated from their config schemas.',
    )
    .option('--out <dir>', 'folder to write to (default: docs/reference; with --plugin: stdout)')
    .option('--plugin <module...>', "only these plugin modules' plugins")
    .action(async (o) => {
      code = await docsCommand(o, builtins);
    });

  program
    .command('new')
    .description(
      'Create a plugin package to start from: the plugin, its README, and a test running its conformance suite.',
    )
    .addArgument(new Argument('<kind>', 'what the plugin is').choices(['source', 'sink', 'processor']))
    .argument('<name>', 'its `type:` name in pipeline files, e.g. my-sink')
    .option('--dir <path>', 'folder to create (default: ./<name>)')
    .option('--sluice <spec>', 'npm spec of sluice for development (default: ^ this version)')
    .action((kind: NewKind, name: string, o) => {
      code = newCommand(kind, name, o);
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
    .option('--dry-run', 'only say how many events would be delivered again or skipped')
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

  program
    .command('query')
    .description(
      'Run SQL over stored topics (each topic a table: id, partition, key, ts, stored, value, headers). Exit 2 on a bad query.',
    )
    .argument('<sql>', 'one SELECT statement, e.g. "SELECT key, count(*) FROM orders GROUP BY key"')
    .argument('[paths...]', 'pipeline files or folders: Redis, prefix and dead-letter topics come from them')
    .addOption(redisOption())
    .addOption(prefixOption())
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, else ndjson)').choices([
        'table',
        'json',
        'ndjson',
        'csv',
      ]),
    )
    .option(
      '--lateness <duration>',
      'how late events may be stored; bounds an upper ts limit (default: unbounded)',
      durationArg,
    )
    .option('--clock-skew <duration>', 'how far event times may run ahead of stored times (default 1m)', durationArg)
    .action(async (sql: string, paths: string[], o) => {
      code = await queryCommand(sql, paths, o, builtins);
    });

  addAuthoringCommands(program, builtins, (c: number) => {
    code = c;
  });
  addOperationsCommands(program, (c: number) => {
    code = c;
  });
  return { program, exitCode: () => code };
}

export async function main(argv: string[], builtins: readonly PluginEntry[]): Promise<void> {
  exitQuietlyWhenReaderLeaves();
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

/**
 * `sluice plugins | head`: the reader closed the pipe, so there is nobody left to tell anything; end the way
 * Unix tools do instead of crashing with an unhandled EPIPE.
 */
function exitQuietlyWhenReaderLeaves(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
