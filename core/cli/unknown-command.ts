// `sluice <unknown> --help` would print the general help and exit 0, as if the command existed: an unknown
// command is a usage error (exit 2) whatever options follow it.
import type { Command } from 'commander';
import { didYouMean } from '../config/suggest.js';

/** The message for a first argument that names no command, or undefined when it names one (or is an option). */
export function unknownCommand(program: Command, args: readonly string[]): string | undefined {
  const [first] = args;
  if (first === undefined || first.startsWith('-') || first === 'help') return undefined;
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (names.includes(first)) return undefined;
  const hint = didYouMean(first, names) ?? `commands: ${names.join(', ')}`;
  return `sluice: unknown command "${first}" — ${hint} (run sluice --help for usage)`;
}
