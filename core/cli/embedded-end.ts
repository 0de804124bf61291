// What an embedded run leaves behind when it stops, said out loud: its dead letters are appended to a file, and
// stored events its sinks had not acknowledged are counted, since memory storage ends with the process. Either
// kind of loss makes the run exit non-zero (EXIT.lost), unless the user forced the stop.
import { resolve } from 'node:path';
import { toSluiceError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import type { Storage } from '../storage/storage.js';
import { keepDeadLetters } from './dead-letter-file.js';
import { EXIT } from './exit-codes.js';

export interface EmbeddedEndOptions {
  /** Stored events still undelivered do not fail the run (they are reported, and lost). */
  force: boolean;
  deadLetterFile: string;
}

/** Keeps the dead letters, reports what is lost, and returns the exit code it calls for. */
export async function endEmbeddedRun(engine: Engine, storage: Storage, options: EmbeddedEndOptions): Promise<number> {
  const lettersLost = await keepLetters(engine, storage, resolve(options.deadLetterFile));
  const left = await engine.undelivered();
  const undelivered = [...left.values()].reduce((a, b) => a + b, 0);
  if (undelivered > 0) {
    const detail = [...left].map(([subscription, n]) => `${subscription}: ${n}`).join(', ');
    const what = `${undelivered} stored events were not delivered when the run stopped (${detail})`;
    if (options.force) {
      say(`${what} and are lost (--force)`);
    } else {
      say(
        `${what} and are lost: embedded storage is not durable. Give the sinks a longer --grace, fix what holds ` +
          'them back, set `redis:` for durable storage, or pass --force to accept the loss',
      );
    }
  }
  return lettersLost || (undelivered > 0 && !options.force) ? EXIT.lost : EXIT.ok;
}

/** True when dead letters existed and could not be written (lost). */
async function keepLetters(engine: Engine, storage: Storage, file: string): Promise<boolean> {
  try {
    const kept = await keepDeadLetters(storage, engine.deadLetterTopics, file);
    if (kept > 0)
      say(`${kept} events were dead-lettered; appended to ${file} (one event per line, why in its headers)`);
    return false;
  } catch (err) {
    say(
      `the dead-lettered events could not be written to ${file} and are lost: ${toSluiceError(err).message}; ` +
        'pass --dead-letters with a writable file',
    );
    return true;
  }
}

function say(line: string): void {
  process.stderr.write(`sluice: ${line}\n`);
}
