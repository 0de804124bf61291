import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../../../connectors/http/template.js';
import { createEvent } from '../../../../core/event.js';

const event = createEvent({
  key: 'car-7',
  value: { tenant: 'acme', path: '../../admin', n: 3, nested: { a: 'x' } },
  ts: 1_700_000_000_000,
  headers: { 'x-tenant': 'acme' },
  id: '0-1700000000000-0',
});

describe('url, method and header templates', () => {
  it('renders a text without placeholders as itself', () => {
    const t = compileTemplate('https://api.example.com/in', 'url', { encode: true });
    expect(t.isStatic).toBe(true);
    expect(t.render(event)).toBe('https://api.example.com/in');
  });

  it('reads key, id, ts, value paths and headers from the event', () => {
    const t = compileTemplate('/{{key}}/{{ id }}/{{ts}}/{{value.nested.a}}/{{headers.x-tenant}}/{{value.n}}', 'url', {
      encode: true,
    });
    expect(t.render(event)).toBe('/car-7/0-1700000000000-0/1700000000000/x/acme/3');
    expect(t.prefix).toBe('/');
  });

  it('percent-encodes inserted text in a URL so an event cannot leave its path segment', () => {
    const t = compileTemplate('https://api.example.com/t/{{value.path}}', 'url', { encode: true });
    expect(t.render(event)).toBe('https://api.example.com/t/..%2F..%2Fadmin');
  });

  it('refuses a value that would make a path segment . or .. (the URL would climb out of its path)', () => {
    const t = compileTemplate('http://api.example.com/tenants/{{ value.tenant }}/x', 'url', { encode: true });
    for (const tenant of ['..', '.']) {
      expect(() => t.render({ ...event, value: { tenant } })).toThrow(
        expect.objectContaining({ kind: 'record', code: 'E_HTTP_TEMPLATE', message: expect.stringMatching(/climb/) }),
      );
    }
    const joined = compileTemplate('http://h/a/{{ value.x }}{{ value.y }}/b', 'url', { encode: true });
    expect(() => joined.render({ ...event, value: { x: '.', y: '.' } })).toThrow(/climb/);
    expect(t.render({ ...event, value: { tenant: '...' } })).toBe('http://api.example.com/tenants/.../x');
    expect(t.render({ ...event, value: { tenant: '%2e%2e' } })).toBe('http://api.example.com/tenants/%252e%252e/x');
    expect(t.render({ ...event, value: { tenant: 'a..b' } })).toBe('http://api.example.com/tenants/a..b/x');
    const query = compileTemplate('http://h/a?next={{ value.tenant }}', 'url', { encode: true });
    expect(query.render({ ...event, value: { tenant: '..' } })).toBe('http://h/a?next=..');
  });

  it('lets a placeholder in the host part name a host and port, and nothing more', () => {
    const t = compileTemplate('http://{{ value.host }}/x', 'url', { encode: true });
    expect(t.render({ ...event, value: { host: '127.0.0.1:8080' } })).toBe('http://127.0.0.1:8080/x');
    expect(t.render({ ...event, value: { host: '[::1]:81' } })).toBe('http://[::1]:81/x');
    const sub = compileTemplate('https://{{ value.tenant }}.example.com:8443/x', 'url', { encode: true });
    expect(sub.render(event)).toBe('https://acme.example.com:8443/x');
    for (const host of ['evil.com/x?', 'user@evil.com', 'a#b', 'a b', 'evil.com\\x']) {
      expect(() => t.render({ ...event, value: { host } })).toThrow(
        expect.objectContaining({ kind: 'record', code: 'E_HTTP_TEMPLATE', message: expect.stringMatching(/host/) }),
      );
    }
  });

  it('inserts {{{ path }}} as it is', () => {
    const t = compileTemplate('{{{value.path}}}', 'url', { encode: true });
    expect(t.render(event)).toBe('../../admin');
  });

  it('does not encode header and method templates', () => {
    const t = compileTemplate('Bearer {{value.path}}', 'headers.x', { encode: false });
    expect(t.render(event)).toBe('Bearer ../../admin');
  });

  it('rejects the record when a placeholder is missing in the event, naming it', () => {
    const t = compileTemplate('/{{value.customer}}', 'url', { encode: true });
    expect(() => t.render(event)).toThrow(expect.objectContaining({ kind: 'record', code: 'E_HTTP_TEMPLATE' }));
    expect(() => t.render(event)).toThrow(/\{\{value\.customer\}\} is missing/);
  });

  it('rejects the record when a placeholder names an object', () => {
    const t = compileTemplate('/{{value.nested}}', 'url', { encode: true });
    expect(() => t.render(event)).toThrow(/is an object/);
  });

  it('refuses a malformed placeholder when compiling', () => {
    expect(() => compileTemplate('/{{ value..x }}', 'url', { encode: true })).toThrow(/not \{\{ path \}\}/);
    expect(() => compileTemplate('/{{{ value.x }}', 'url', { encode: true })).toThrow();
  });
});
