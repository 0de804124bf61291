// What the `generate` source makes: one pure function per preset, from an event's position to its key,
// value and time. The presets are the examples Sluice is built around: cars reporting GPS positions,
// rooms reporting temperatures, patients' blood pressure measured on a device and uploaded later.
import { randomAt, randomBetween } from './random.js';

export const PRESETS = ['gps', 'temperature', 'blood-pressure', 'sequence'] as const;
export type Preset = (typeof PRESETS)[number];

export interface GeneratedEvent {
  key: string;
  value: unknown;
  ts: number;
}

export interface PresetOptions {
  preset: Preset;
  /** Number of distinct keys; events go round-robin over them. */
  keys: number;
  seed: number;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** The event at position `index` (0-based, counted across restarts), made at time `now`. */
export function presetEvent(options: PresetOptions, index: number, now: number): GeneratedEvent {
  const { keys, seed } = options;
  const k = index % keys;
  // How many readings this key has made before: paths and curves move per key, not per event.
  const step = Math.floor(index / keys);
  switch (options.preset) {
    case 'gps': {
      // Each car drives around its own circle near Toronto, with a little GPS noise.
      const phase = randomAt(seed, k, 1) * 2 * Math.PI;
      const radius = randomBetween(seed, k, 2, 0.01, 0.05);
      const angle = phase + step * 0.02;
      const lat = 43.82 + radius * Math.sin(angle) + randomBetween(seed, index, 3, -0.0001, 0.0001);
      const lon = -79.48 + radius * Math.cos(angle) + randomBetween(seed, index, 4, -0.0001, 0.0001);
      return { key: `car_id_${k + 1}`, value: [round(lat, 5), round(lon, 5)], ts: now };
    }
    case 'temperature': {
      // A room drifts slowly around its own comfortable temperature.
      const base = randomBetween(seed, k, 1, 19, 23);
      const drift = 1.5 * Math.sin(step / 30 + randomAt(seed, k, 2) * 2 * Math.PI);
      const noise = randomBetween(seed, index, 3, -0.2, 0.2);
      return { key: `room_${k + 1}`, value: round(base + drift + noise, 1), ts: now };
    }
    case 'blood-pressure': {
      // Measured on a device up to a minute before it reaches Sluice: the event time is not the ingest time.
      const systolic = Math.round(randomBetween(seed, k, 1, 110, 135) + randomBetween(seed, index, 2, -8, 8));
      const diastolic = Math.round(randomBetween(seed, k, 3, 70, 85) + randomBetween(seed, index, 4, -5, 5));
      const measuredAgo = Math.round(randomBetween(seed, index, 5, 0, 60)) * 1000;
      return { key: `patient_id_${k + 1}`, value: [systolic, diastolic], ts: now - measuredAgo };
    }
    case 'sequence':
      return { key: `key_${k + 1}`, value: { seq: index + 1 }, ts: now };
  }
}

const paddings = new Map<number, string>();

/**
 * The value grown to about `bytes` bytes of JSON, for benchmarks: an object gets a `pad` field, anything
 * else becomes `{ "value": …, "pad": … }`. A value already that large is returned as it is.
 */
export function padValue(value: unknown, bytes: number): unknown {
  const text = JSON.stringify(value);
  if (text.length >= bytes) return value;
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  const missing = bytes - wrappedLength(value, text, isObject);
  if (missing <= 0) return value;
  let pad = paddings.get(missing);
  if (pad === undefined) {
    pad = 'x'.repeat(missing);
    if (paddings.size < 64) paddings.set(missing, pad);
  }
  return isObject ? { ...(value as object), pad } : { value, pad };
}

/**
 * The JSON length of the value with an empty pad, worked out from the value's own JSON (`text`) for the values
 * the presets make; anything else (a `pad` field already, a class instance) is serialised to tell.
 */
function wrappedLength(value: unknown, text: string, isObject: boolean): number {
  if (!isObject) return text.length + '{"value":,"pad":""}'.length;
  const isPlain = Object.getPrototypeOf(value) === Object.prototype && !Object.hasOwn(value as object, 'pad');
  if (isPlain) return text === '{}' ? '{"pad":""}'.length : text.length + ',"pad":""'.length;
  return JSON.stringify({ ...(value as object), pad: '' }).length;
}
