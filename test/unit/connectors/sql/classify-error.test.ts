import { describe, expect, it } from 'vitest';
import { classifySqlError, isRowError, rememberDatabaseMessage } from '../../../../connectors/sql/classify-error.js';

const where = 'sql sink of pipeline "p"';
const err = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'boom')), fields);

describe('sql error classification', () => {
  it.each([
    [{ code: '23505', message: 'duplicate key' }, 'record', 'E_SQL_CONSTRAINT'],
    [{ code: '22P02', message: 'invalid input syntax' }, 'record', 'E_SQL_DATA'],
    [{ code: '40P01' }, 'retryable', 'E_SQL_CONFLICT'],
    [{ code: '57P01' }, 'retryable', 'E_SQL_CONNECTION'],
    [{ code: '28P01' }, 'fatal', 'E_SQL_AUTH'],
    [{ code: '3D000' }, 'fatal', 'E_SQL_UNKNOWN_DATABASE'],
    [{ code: '42P01' }, 'fatal', 'E_SQL_MISSING_TABLE'],
    [{ code: '42501' }, 'fatal', 'E_SQL_PERMISSION'],
    [{ code: 'ER_DUP_ENTRY', errno: 1062 }, 'record', 'E_SQL_CONSTRAINT'],
    [{ code: 'ER_DATA_TOO_LONG', errno: 1406 }, 'record', 'E_SQL_DATA'],
    [{ code: 'ER_LOCK_DEADLOCK', errno: 1213 }, 'retryable', 'E_SQL_CONFLICT'],
    [{ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 }, 'fatal', 'E_SQL_AUTH'],
    [{ code: 'ER_NO_SUCH_TABLE', errno: 1146 }, 'fatal', 'E_SQL_MISSING_TABLE'],
    [{ code: 'PROTOCOL_CONNECTION_LOST' }, 'retryable', 'E_SQL_CONNECTION'],
    [{ code: 'ECONNREFUSED' }, 'retryable', 'E_SQL_CONNECTION'],
    [{ code: 'SQLITE_CONSTRAINT_NOTNULL' }, 'record', 'E_SQL_CONSTRAINT'],
    [{ code: 'SQLITE_BUSY' }, 'retryable', 'E_SQL_CONFLICT'],
    [{ code: 'SQLITE_ERROR', message: 'no such table: t' }, 'fatal', 'E_SQL_MISSING_TABLE'],
    [{ code: 'SQLITE_CANTOPEN' }, 'fatal', 'E_SQL_UNKNOWN_DATABASE'],
    [{ name: 'KnexTimeoutError', message: 'Knex: Timeout acquiring a connection' }, 'retryable', 'E_SQL_CONNECTION'],
    [{ message: 'something new' }, 'retryable', 'E_SQL'],
  ])('%o is %s (%s)', (fields, kind, code) => {
    const e = classifySqlError(err(fields), where);
    expect({ kind: e.kind, code: e.code }).toEqual({ kind, code });
    expect(e.message.startsWith(where)).toBe(true);
    expect(isRowError(err(fields))).toBe(kind === 'record');
  });

  it("gives the database's own message, without the statement knex put in front of it", () => {
    const e = err({
      code: '23505',
      message: 'INSERT INTO t VALUES ($1) - duplicate key value',
      detail: 'Key (id)=(1) already exists.',
    });
    rememberDatabaseMessage(e, 'INSERT INTO t VALUES ($1)');
    expect(classifySqlError(e, where).message).toBe(`${where}: duplicate key value (Key (id)=(1) already exists.)`);
  });
});
