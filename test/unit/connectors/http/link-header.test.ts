import { describe, expect, it } from 'vitest';
import { nextLink } from '../../../../connectors/http/link-header.js';

describe('Link header pagination', () => {
  it('finds the rel="next" link among others', () => {
    const h = '<https://api.example.com/items?page=1>; rel="prev", <https://api.example.com/items?page=3>; rel="next"';
    expect(nextLink(h, 'https://api.example.com/items?page=2')).toBe('https://api.example.com/items?page=3');
  });

  it('resolves a relative link and reads unquoted and multi-valued rel', () => {
    expect(nextLink('</items?cursor=a,b>; rel=next', 'https://h.test/items')).toBe('https://h.test/items?cursor=a,b');
    expect(nextLink('<p2>; rel="next last"', 'https://h.test/items/')).toBe('https://h.test/items/p2');
  });

  it('gives nothing when there is no next link', () => {
    expect(nextLink('<https://h.test/1>; rel="prev"', 'https://h.test/')).toBeUndefined();
    expect(nextLink(undefined, 'https://h.test/')).toBeUndefined();
  });
});
