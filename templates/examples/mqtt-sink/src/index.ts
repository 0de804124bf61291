// An MQTT sink, made with `sluice new sink mqtt`: publishes each event to an MQTT broker, the value as the
// payload (JSON, or the bytes as they are), on a topic that may name the event's key. With QoS 1 or 2 a
// batch is acknowledged only once the broker has every message, so a crash redelivers rather than loses.
//   plugins: [sluice-plugin-mqtt]
//   sinks: [ { type: mqtt, url: 'mqtt://127.0.0.1:1883', topic: 'rooms/{key}/temperature' } ]
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { defineSink, FatalError, RetryableError, type SluiceEvent, secret, z } from 'sluice';

// CONNACK codes that retrying cannot fix (MQTT 3.1.1: bad credentials, not authorised; 5.0: 0x86, 0x87).
const AUTH_FAILURES = new Set([4, 5, 134, 135]);

/** A key made safe for one topic level: MQTT wildcards and level separators would change the topic. */
function topicLevel(key: string | null): string {
  return key === null || key === '' ? '_' : key.replace(/[/+#]/g, '_').replaceAll(String.fromCharCode(0), '_');
}

function payloadOf(event: SluiceEvent): Buffer | string {
  return event.value instanceof Uint8Array ? Buffer.from(event.value) : JSON.stringify(event.value ?? null);
}

export default defineSink({
  name: 'mqtt',
  summary: 'Publish each event to an MQTT broker, its value as the payload, on a topic that may name its key.',
  config: z.object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\//, 'use mqtt://, mqtts://, ws:// or wss://')
      .describe('Broker URL, e.g. mqtt://127.0.0.1:1883 (mqtts:// for TLS).'),
    topic: z
      .string()
      .min(1)
      .describe('Topic to publish on; {key} is replaced by the event key (/, +, # and NUL in a key become _).'),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .describe('0: fire and forget (may lose on a crash); 1: at least once (default); 2: exactly once.'),
    retain: z.boolean().default(false).describe('Ask the broker to keep the last message of each topic.'),
    username: z.string().optional().describe('User name, when the broker asks for one.'),
    password: secret(z.string()).optional().describe('Password; kept out of logs and errors.'),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Give up on connecting after this long; the batch is then retried.'),
  }),
  create: (config, ctx) => {
    let client: MqttClient | undefined;
    const options: IClientOptions = {
      connectTimeout: config.connectTimeoutMs,
      // The runtime owns retries: a failed connection fails the batch, which is retried with backoff.
      reconnectPeriod: 0,
      username: config.username,
      password: config.password,
    };

    async function connected(): Promise<MqttClient> {
      if (client?.connected) return client;
      client?.end(true);
      client = undefined;
      try {
        client = await connectAsync(config.url, options, false);
        client.on('error', (err) => ctx.logger.warn({ err: err.message }, `mqtt sink: ${config.url}: ${err.message}`));
        return client;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (typeof code === 'number' && AUTH_FAILURES.has(code)) {
          throw new FatalError(
            `MQTT broker ${config.url} refused the login (code ${code}): check username and password`,
            {
              code: 'E_MQTT_AUTH',
            },
          );
        }
        throw new RetryableError(`cannot connect to the MQTT broker ${config.url}: ${(err as Error).message}`, {
          code: 'E_MQTT_CONNECT',
          cause: err,
        });
      }
    }

    return {
      async write(batch) {
        if (batch.length === 0) return;
        const c = await connected();
        try {
          await Promise.all(
            batch.map((event) =>
              c.publishAsync(config.topic.replaceAll('{key}', topicLevel(event.key)), payloadOf(event), {
                qos: config.qos,
                retain: config.retain,
              }),
            ),
          );
        } catch (err) {
          c.end(true);
          throw new RetryableError(`publishing to ${config.url} failed: ${(err as Error).message}`, {
            code: 'E_MQTT_PUBLISH',
            cause: err,
          });
        }
      },
      async close() {
        await client?.endAsync();
      },
    };
  },
});
