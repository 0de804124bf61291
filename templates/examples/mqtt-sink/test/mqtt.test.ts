// The MQTT sink against the real broker (Mosquitto on 127.0.0.1:1883, or MQTT_URL): the sink conformance suite,
// with a subscriber reading back what was published.
import { connectAsync, type MqttClient } from 'mqtt';
import { describeSinkConformance, type WrittenRecord } from 'sluice/testing';
import { afterAll, beforeAll } from 'vitest';
import mqtt from '../src/index.js';

const url = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const root = `sluice-test-${process.pid}-${Date.now()}`;
let subscriber: MqttClient;
let received: WrittenRecord[] = [];

beforeAll(async () => {
  // No broker is a failure, not a skip: the error says where it looked.
  subscriber = await connectAsync(url, { connectTimeout: 5_000, reconnectPeriod: 0 });
  subscriber.on('message', (_topic, payload) => {
    received.push({ value: JSON.parse(payload.toString('utf8')) });
  });
  await subscriber.subscribeAsync(`${root}/#`, { qos: 1 });
});
afterAll(async () => {
  await subscriber?.endAsync();
});

/** What the subscriber got, once no more arrives for a moment (publishing is acknowledged before delivery). */
async function readBack(): Promise<WrittenRecord[]> {
  let seen = -1;
  while (seen !== received.length) {
    seen = received.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return received;
}

describeSinkConformance({
  plugin: mqtt,
  config: { url, topic: `${root}/{key}`, qos: 1 },
  readBack,
  reset: async () => {
    await readBack();
    received = [];
  },
  keepsKeys: false,
  unreachableConfig: { url: 'mqtt://127.0.0.1:9', topic: 't', connectTimeoutMs: 2_000 },
});
