// `sluice validate --connect` for the sql source and sink: the database answers and takes the credentials.
// The check opens its own connection, asks for nothing but `SELECT 1`, and closes it again.
import type { ConfigProblem, ConnectContext, Logger } from '../../core/plugin.js';
import { classifySqlError } from './classify-error.js';
import { type ConnectionConfig, describeDatabase, openDatabase } from './connection.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function checkDatabase(config: ConnectionConfig, ctx: ConnectContext): Promise<ConfigProblem[]> {
  const label = describeDatabase(config.client, config.connection, ctx.baseDir);
  let db: ReturnType<typeof openDatabase> | undefined;
  try {
    db = openDatabase(config, { baseDir: ctx.baseDir, logger: quiet });
    await db.knex.raw('SELECT 1');
    return [];
  } catch (err) {
    // The classified message names the database (never the password) and says what to check.
    return [{ path: ['connection'], message: `cannot connect: ${classifySqlError(err, label).message}` }];
  } finally {
    await db?.close().catch(() => {});
  }
}
