import { describe, expect, it } from 'vitest';
import httpPollSource from '../../../../connectors/http/poll-source.js';
import httpSink from '../../../../connectors/http/sink.js';
import httpSource from '../../../../connectors/http/source.js';
import { z } from '../../../../core/plugin.js';

type Schema = {
  description?: string;
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
};

function undescribed(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const at = path ? `${path}.${name}` : name;
    if (!prop.description) missing.push(at);
    missing.push(...undescribed(prop, at));
  }
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) missing.push(...undescribed(alt, path));
  return missing;
}

const httpPlugins = [httpSource, httpPollSource, httpSink] as const;

describe('http plugin declarations', () => {
  for (const plugin of httpPlugins) {
    it(`describes every config field of ${plugin.kind} ${plugin.name}`, () => {
      const schema = z.toJSONSchema(plugin.config, { io: 'input', unrepresentable: 'any' }) as Schema;
      expect(undescribed(schema, '')).toEqual([]);
    });
  }

  it('marks secrets so that they are redacted', () => {
    const secrets = (schema: Schema & { secret?: boolean }, path: string): string[] => [
      ...(schema.secret ? [path] : []),
      ...Object.entries(schema.properties ?? {}).flatMap(([k, v]) => secrets(v, path ? `${path}.${k}` : k)),
      ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((alt) => secrets(alt, path)),
    ];
    const [source, , sink] = httpPlugins;
    expect(secrets(z.toJSONSchema(sink.config, { io: 'input' }) as Schema, '').sort()).toEqual([
      'auth.clientSecret',
      'auth.password',
      'auth.token',
      'headers',
      'tls.key',
      'tls.passphrase',
    ]);
    expect(secrets(z.toJSONSchema(source.config, { io: 'input' }) as Schema, '').sort()).toEqual([
      'auth.bearerTokens',
      'auth.hmac.secret',
      'tls.key',
      'tls.passphrase',
    ]);
  });

  it('accepts the smallest configs with documented defaults', () => {
    const [source, poll, sink] = httpPlugins;
    expect(source.config.parse({})).toMatchObject({ host: '0.0.0.0', port: 8080, path: '/', format: 'auto' });
    expect(poll.config.parse({ url: 'https://api.example.com/x' })).toMatchObject({
      intervalMs: 60_000,
      events: '$',
      pagination: { type: 'none' },
    });
    expect(sink.config.parse({ url: 'https://api.example.com/x' })).toMatchObject({
      method: 'POST',
      mode: 'batch',
      auth: { type: 'none' },
      timeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000, totalMs: 120_000 },
    });
  });
});
