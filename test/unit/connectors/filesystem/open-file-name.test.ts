import { describe, expect, it } from 'vitest';
import { openFileName, parseOpenFileName, partitionOf } from '../../../../connectors/filesystem/open-file-name.js';

describe('open file names', () => {
  it("record a file's counts and ids, read back exactly, whatever the ids hold", () => {
    const state = {
      partition: '3',
      openedAt: 1_700_000_000_000,
      events: 12,
      bytes: 3456,
      first: '3-1700000000000-0',
      last: 'odd_id/with:chars',
      token: 'a1b2c3',
    };
    const name = openFileName(state);
    expect(name.startsWith('.')).toBe(true);
    expect(name).not.toMatch(/[/\\:]/);
    expect(parseOpenFileName(name)).toEqual(state);
    expect(parseOpenFileName(openFileName({ ...state, partition: 'none', first: '', last: '' }))).toMatchObject({
      first: '',
      last: '',
    });
  });

  it('ignore every other file', () => {
    for (const name of ['events_1_2.ndjson', '.abc.tmp', '.sluice-open_x', '.sluice-open_0_a_1_1_00_00_t']) {
      expect(parseOpenFileName(name)).toBeUndefined();
    }
  });

  it('take the partition from a stored event id', () => {
    expect(partitionOf('7-1700000000000-3')).toBe('7');
    expect(partitionOf('orders:1')).toBe('none');
    expect(partitionOf(undefined)).toBe('none');
  });
});
