// `sluice query "<SQL>" [paths...]`: SQL over the stored topics of a fleet's Redis. Pipeline files, when
// given, say where Redis is and which topics are dead-letter topics, as for `run`; rows go to stdout as a
// table on a terminal and as NDJSON otherwise, or in the --format asked for. A bad query exits 2.
import { loadConfig } from '../config/load.js';
import type { Redactor } from '../config/redactor.js';
import type { QueryDecoders } from '../query/query-decoders.js';
import type { QueryOptions } from '../query/query-engine.js';
import type { ResultFormat } from '../query/result-format.js';
import type { PluginEntry } from '../registry.js';
import { createLogger } from '../runtime/logger.js';
import type { Storage } from '../storage/storage.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export interface QueryCommandOptions {
  redis?: string;
  prefix: string;
  format?: ResultFormat;
  lateness?: number;
  clockSkew?: number;
}

function stdoutWrite(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

export async function queryCommand(
  sql: string,
  paths: string[],
  o: QueryCommandOptions,
  builtins: readonly PluginEntry[],
): Promise<number> {
  let redactor: Redactor | undefined;
  let storage: Storage | undefined;
  let decoders: QueryDecoders | undefined;
  try {
    const options: QueryOptions = { lateness: o.lateness, clockSkew: o.clockSkew };
    const config = paths.length > 0 ? await loadConfig(paths, { builtins, redisOverride: o.redis }) : undefined;
    redactor = config?.redactor;
    storage = await openAdminStorage(config ? config.redis?.url : o.redis, config?.redis?.prefix ?? o.prefix);
    if (config) {
      options.deadLetterTopics = config.pipelines.map((p) => p.deadLetterTopic);
      const { createQueryDecoders } = await import('../query/query-decoders.js');
      const logger = createLogger({ level: 'warn', redactor: config.redactor, pretty: Boolean(process.stderr.isTTY) });
      decoders = await createQueryDecoders(config.queryDecoders, storage, logger, new AbortController().signal);
      options.decoders = decoders.decoders;
    }
    const [{ query }, { writeResult }] = await Promise.all([
      import('../query/query-engine.js'),
      import('../query/result-format.js'),
    ]);
    const result = await query(storage, sql, options);
    try {
      const format = o.format ?? (process.stdout.isTTY ? 'table' : 'ndjson');
      await writeResult(format, result.columns, result.chunks(), { write: stdoutWrite });
    } finally {
      result.close();
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, redactor);
  } finally {
    await decoders?.close().catch(() => {});
    await storage?.close().catch(() => {});
  }
}
