import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../../core/config/redactor.js';

describe('a redactor given the secrets of a reloaded configuration', () => {
  it('masks the new secrets as well as its own', () => {
    const first = new Redactor();
    first.add('old-password');
    const reloaded = new Redactor();
    reloaded.add('new-password');
    first.addAll(reloaded);
    expect(first.text('old-password then new-password')).toBe('*** then ***');
  });
});
