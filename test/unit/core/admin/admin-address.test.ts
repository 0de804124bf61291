import { describe, expect, it } from 'vitest';
import { checkAdminExposure, isLoopback, parseAdminAddress } from '../../../../core/admin/admin-address.js';

describe('--admin [host:]port', () => {
  it('listens on loopback unless a host is given', () => {
    expect(parseAdminAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseAdminAddress('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAdminAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseAdminAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
  });

  it('refuses what is not an address, with the shape to use', () => {
    expect(() => parseAdminAddress('nine')).toThrow(/is not \[host:\]port/);
    expect(() => parseAdminAddress('70000')).toThrow(/is not \[host:\]port/);
  });

  it('refuses a host others can reach without a token', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(() => checkAdminExposure({ host: '0.0.0.0', port: 9464 }, undefined)).toThrow(/set an admin token/);
    expect(() => checkAdminExposure({ host: '0.0.0.0', port: 9464 }, 'secret')).not.toThrow();
    expect(() => checkAdminExposure({ host: '127.0.0.1', port: 9464 }, undefined)).not.toThrow();
  });
});
