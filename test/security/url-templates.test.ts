// Templated URL escapes: values an event puts into the http sink's URL must not move the request to another
// path, host, port or user; each either renders inside its place or is refused as a record error.
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../connectors/http/template.js';
import { errorKind } from '../../core/errors.js';
import { createEvent } from '../../core/event.js';
import { recordFigure } from '../harness/figures.js';
import { TRAVERSAL_PAYLOADS } from './hostile-input.js';

const URL_PAYLOADS = [
  ...TRAVERSAL_PAYLOADS,
  '?admin=1',
  '#fragment',
  '@evil.example',
  'user:pass@evil.example',
  '//evil.example',
  'http://evil.example/',
  '%2f%2fevil.example',
  ' ../',
  '..%00',
  '\t..',
  '..\t',
  ':8080',
  '[::1]',
  'a b',
  '%',
  '%zz',
];
const HOST_PAYLOADS = [
  'evil.example/x?',
  'evil.example#',
  'user@evil.example',
  'evil.example\\x',
  'evil.example x',
  'evil.example/../admin',
  'evil.example%2f',
  'evil.example:80/y',
  'a\r\nHost: evil',
  '',
];

/** The place a value must stay in: path under /tenants/, query or host part, with user and port untouched. */
const places = [
  {
    name: 'path segment',
    template: 'https://api.example.com/tenants/{{ value.v }}/events',
    payloads: URL_PAYLOADS,
    stays: (u: URL) =>
      u.host === 'api.example.com' && u.pathname.startsWith('/tenants/') && u.pathname.endsWith('/events'),
  },
  {
    name: 'query value',
    template: 'https://api.example.com/in?tenant={{ value.v }}',
    payloads: URL_PAYLOADS,
    stays: (u: URL) => u.host === 'api.example.com' && u.pathname === '/in' && [...u.searchParams.keys()].length === 1,
  },
  {
    name: 'host part',
    template: 'https://{{ value.v }}/events',
    payloads: HOST_PAYLOADS,
    stays: (u: URL) => u.pathname === '/events' && u.username === '' && u.password === '' && u.search === '',
  },
];

describe('templated URL escapes', () => {
  for (const place of places) {
    it(`a value in the ${place.name} stays there or is refused`, () => {
      const template = compileTemplate(place.template, 'url', { encode: true });
      const escaped: string[] = [];
      for (const v of place.payloads) {
        let rendered: string;
        try {
          rendered = template.render(createEvent({ value: { v } }));
        } catch (err) {
          if (errorKind(err) !== 'record') escaped.push(`${JSON.stringify(v)}: ${String(err)}`);
          continue;
        }
        let url: URL | undefined;
        try {
          url = new URL(rendered);
        } catch {
          // Not a URL at all: the sink refuses it as a record error before any request.
          continue;
        }
        if (!place.stays(url)) escaped.push(`${JSON.stringify(v)} → ${url.href}`);
      }
      recordFigure({
        suite: 'security',
        case: `url template: ${place.name}`,
        tries: place.payloads.length,
        held: place.payloads.length - escaped.length,
      });
      expect(escaped).toEqual([]);
    });
  }
});
