import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactInteger } from '../../../../connectors/sql/connection.js';
import {
  columnKind,
  inferType,
  mergeTypes,
  rowReader,
  sqlType,
  timestampToIso,
  toBindValue,
} from '../../../../connectors/sql/type-mapping.js';

const numbers = { bigintAs: 'string', decimalAs: 'string' } as const;

describe('sql type mapping, reading', () => {
  it('turns database timestamps into ISO text with their full precision', () => {
    expect(timestampToIso('2024-05-01 10:00:00.123456+00')).toBe('2024-05-01T10:00:00.123456Z');
    expect(timestampToIso('2024-05-01 10:00:00')).toBe('2024-05-01T10:00:00Z');
    expect(timestampToIso('2024-05-01 10:00:00+05:30')).toBe('2024-05-01T10:00:00+05:30');
    expect(timestampToIso('2024-05-01 10:00:00-08')).toBe('2024-05-01T10:00:00-08:00');
    for (const odd of ['infinity', '-infinity', '0000-00-00 00:00:00', '0044-03-15 10:00:00 BC'])
      expect(timestampToIso(odd)).toBe(odd);
  });

  it('keeps the exact form for cursors and the ISO form for events', () => {
    const reader = rowReader(
      'pg',
      [
        { name: 'at', dataTypeID: 1184 },
        { name: 'n', dataTypeID: 23 },
      ],
      { numbers, jsonColumns: new Set() },
    );
    const exact = reader.exact({ at: '2024-05-01 10:00:00.5+00', n: 1 });
    expect(exact).toEqual({ at: '2024-05-01 10:00:00.5+00', n: 1 });
    expect(reader.value(exact)).toEqual({ at: '2024-05-01T10:00:00.5Z', n: 1 });
  });

  it('narrows MySQL BIGINT and SQLite integers to numbers only when exact', () => {
    const mysql = rowReader(
      'mysql2',
      [
        { name: 'b', columnType: 8 },
        { name: 'd', columnType: 246 },
      ],
      {
        numbers: { bigintAs: 'number', decimalAs: 'number' },
        jsonColumns: new Set(),
      },
    );
    expect(mysql.exact({ b: '42', d: '1.25' })).toEqual({ b: 42, d: 1.25 });
    expect(mysql.exact({ b: '9007199254740993', d: 'NaN' })).toEqual({ b: '9007199254740993', d: 'NaN' });
    const sqlite = rowReader('better-sqlite3', [], { numbers, jsonColumns: new Set(['doc']) });
    const exact = sqlite.exact({ a: 5n, b: 2n ** 60n, doc: '{"x":1}', bad: 'not json' });
    expect(exact).toEqual({ a: 5, b: String(2n ** 60n), doc: '{"x":1}', bad: 'not json' });
    expect(sqlite.value(exact)).toEqual({ a: 5, b: String(2n ** 60n), doc: { x: 1 }, bad: 'not json' });
  });

  it('never turns an integer string into a different number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (n) => {
        const out = exactInteger(String(n));
        expect(String(out)).toBe(String(n));
      }),
    );
  });
});

describe('sql type mapping, writing', () => {
  it('binds only scalars and buffers: objects and arrays become JSON text', () => {
    expect(toBindValue('mysql2', 'other', { a: 1 })).toBe('{"a":1}');
    expect(toBindValue('mysql2', 'other', [1, 2])).toBe('[1,2]');
    expect(toBindValue('pg', 'json', 'text')).toBe('"text"');
    expect(toBindValue('pg', 'array', [1, { a: 1 }])).toEqual([1, '{"a":1}']);
    expect(Buffer.isBuffer(toBindValue('pg', 'binary', new Uint8Array([1])))).toBe(true);
    expect(toBindValue('pg', 'json', new Uint8Array([1]))).toBe('{"$bytes":"AQ=="}');
    expect(toBindValue('pg', 'other', undefined)).toBeNull();
  });

  it('writes ISO times into MySQL DATETIME as UTC without a zone suffix', () => {
    expect(toBindValue('mysql2', 'datetime', '2024-05-01T10:00:00.123456Z')).toBe('2024-05-01 10:00:00.123456');
    expect(toBindValue('mysql2', 'datetime', '2024-05-01T12:00:00+02:00')).toBe('2024-05-01 10:00:00.000');
    expect(toBindValue('mysql2', 'datetime', 0)).toBe('1970-01-01 00:00:00.000');
  });

  it('infers column types from values, widening when they disagree', () => {
    expect(inferType(1)).toBe('integer');
    expect(inferType(1.5)).toBe('float');
    expect(inferType('2024-05-01T10:00:00Z')).toBe('timestamp');
    expect(inferType('2024-05-01')).toBe('text');
    expect(inferType({})).toBe('json');
    expect(inferType(null)).toBeUndefined();
    expect(mergeTypes('integer', 'float')).toBe('float');
    expect(mergeTypes('integer', 'text')).toBe('text');
    expect(mergeTypes(undefined, 'boolean')).toBe('boolean');
    expect(sqlType('mysql2', 'text', true)).toBe('VARCHAR(255)');
    expect(sqlType('pg', undefined, false)).toBe('text');
    // A number field may be 60 now and 60.5 next: only key columns become integers.
    expect(sqlType('pg', 'integer', false)).toBe('double precision');
    expect(sqlType('mysql2', 'integer', false)).toBe('DOUBLE');
    expect(sqlType('better-sqlite3', 'integer', false)).toBe('REAL');
    expect(sqlType('pg', 'integer', true)).toBe('bigint');
    expect(columnKind('mysql2', 'datetime')).toBe('datetime');
    expect(columnKind('pg', 'ARRAY')).toBe('array');
    expect(columnKind('better-sqlite3', 'JSON')).toBe('json');
  });
});
