import { describe, expect, it } from 'vitest';
import { importOptional } from '../../../core/plugin.js';

describe('importOptional', () => {
  it('imports an installed package', async () => {
    const yaml = await importOptional<typeof import('yaml')>('yaml', 'the test');
    expect(typeof yaml.parse).toBe('function');
  });

  it('names the missing package and how to install it, as a fatal error', async () => {
    const error = await importOptional('sluice-no-such-package', 'the zstd processor').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ kind: 'fatal', code: 'E_MISSING_PACKAGE' });
    expect((error as Error).message).toBe(
      'the zstd processor needs the npm package sluice-no-such-package, which is not installed; install it beside sluice: npm install sluice-no-such-package',
    );
  });
});
