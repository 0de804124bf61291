import { describe, expect, it } from 'vitest';
import { fillTemplate } from '../../../../connectors/filesystem/name-template.js';

const at = new Date(Date.UTC(2026, 0, 2, 3));

describe('file and folder name templates', () => {
  it('fills dates in UTC and the given fields', () => {
    expect(fillTemplate('out/{date}/{hh}/{first}.{ext}', { first: '17-0', ext: 'ndjson' }, at)).toBe(
      'out/2026-01-02/03/17-0.ndjson',
    );
  });

  it('keeps a field value inside one path segment: no separators, never `.` or `..`', () => {
    expect(fillTemplate('{first}', { first: '../../etc/passwd' }, at)).toBe('.._.._etc_passwd');
    expect(fillTemplate('{first}', { first: '..' }, at)).toBe('__');
    expect(fillTemplate('{first}', { first: '.' }, at)).toBe('_');
    expect(fillTemplate('{first}-{last}', { first: '..', last: '...' }, at)).toBe('__-___');
    expect(fillTemplate('{first}', { first: '..x' }, at)).toBe('..x');
  });

  it('leaves unknown placeholders as they are', () => {
    expect(fillTemplate('{nope}-{first}', { first: 'a' }, at)).toBe('{nope}-a');
  });
});
