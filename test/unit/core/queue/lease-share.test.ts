import { describe, expect, it } from 'vitest';
import { LeaseShare } from '../../../../core/queue/lease-share.js';

describe('the share of a group of exclusive loops', () => {
  it('is every loop until others run the group, then the loops divided by the members, rounded up', () => {
    let members = 1;
    const share = new LeaseShare(() => members);
    for (let i = 0; i < 8; i++) share.add('g');
    expect(share.share('g')).toBe(8);
    members = 3;
    expect(share.share('g')).toBe(3);
  });

  it('hands over one loop at a time down to the share, and leaves free leases to others only for a while', () => {
    let members = 1;
    const share = new LeaseShare(() => members);
    for (let i = 0; i < 4; i++) share.add('g');
    for (let i = 0; i < 4; i++) share.took('g');
    expect(share.shouldHandOver('g')).toBe(false);
    members = 2;
    expect(share.shouldHandOver('g')).toBe(true);
    expect(share.shouldHandOver('g')).toBe(true);
    // Two hand-overs under way already bring it to its share.
    expect(share.shouldHandOver('g')).toBe(false);
    share.released('g', true);
    share.released('g', true);
    expect(share.shouldHandOver('g')).toBe(false);
    // At its share it lets a free lease pass a few times, then takes it rather than leave it unheld.
    expect(share.mayTake('g', 0)).toBe(false);
    expect(share.mayTake('g', 3)).toBe(true);
    share.released('g', false);
    expect(share.mayTake('g', 0)).toBe(true);
  });
});
