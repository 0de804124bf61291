// What the hostile-input cases share: a seeded generator (a failing input can be found again from its case
// and index), malformed variants of valid inputs, and a memory watch that reports peak growth.
import { seededRandom } from '../harness/seeded-random.js';

// Varints and 32-bit lengths that claim far more than any input holds.
const HUGE_LENGTHS = [
  [0xfe, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x80, 0x8c, 0x8d, 0x9e, 0x02],
  [0xff, 0xff, 0xff, 0xff],
  [0x7f, 0xff, 0xff, 0xff],
];

/**
 * `count` malformed inputs: random bytes, and valid samples truncated, with bytes flipped, with huge
 * lengths spliced in, or repeated. Each kind in turn, so that every kind is tried at any size.
 */
export function malformedInputs(valid: Uint8Array[], count: number, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = () => valid[int(valid.length)];
  const kinds: Array<() => Uint8Array> = [
    () => Uint8Array.from({ length: int(256) }, () => int(256)),
    () => {
      const v = pick();
      return v.subarray(0, int(Math.max(1, v.length)));
    },
    () => {
      const v = Uint8Array.from(pick());
      for (let i = 0, n = 1 + int(4); i < n && v.length > 0; i++) v[int(v.length)] ^= 1 << int(8);
      return v;
    },
    () => {
      const v = pick();
      const at = int(v.length + 1);
      return Uint8Array.from([...v.subarray(0, at), ...HUGE_LENGTHS[int(HUGE_LENGTHS.length)], ...v.subarray(at)]);
    },
    () => {
      const v = pick();
      return Uint8Array.from([...v, ...v, ...v].slice(int(v.length)));
    },
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]());
}

/** Peak growth of heap and resident memory, in MB, while `sample` is called between inputs. */
export class MemoryWatch {
  private readonly start = process.memoryUsage();
  private peakHeap = this.start.heapUsed;
  private peakRss = this.start.rss;

  sample(): void {
    const now = process.memoryUsage();
    this.peakHeap = Math.max(this.peakHeap, now.heapUsed);
    this.peakRss = Math.max(this.peakRss, now.rss);
  }

  growthMb(): { heap: number; rss: number } {
    this.sample();
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    return { heap: mb(this.peakHeap - this.start.heapUsed), rss: mb(this.peakRss - this.start.rss) };
  }
}

/** File names and path segments that try to leave their folder: dot segments, encodings, separators, devices. */
export const TRAVERSAL_PAYLOADS = [
  '..',
  '../',
  '../../',
  '../../../../etc/passwd',
  '..\\',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  '/tmp/x',
  '\\\\server\\share\\x',
  'C:\\Windows\\x',
  'C:/Windows/x',
  '%2e%2e%2f',
  '%2e%2e/',
  '..%2f',
  '%2e%2e%5c',
  '..%5c',
  '%252e%252e%252f',
  '..%252f',
  '%c0%ae%c0%ae/',
  '%uff0e%uff0e/',
  '....//',
  '...//',
  '..;/',
  './../',
  'a/../../b',
  'a/./../../b',
  '.\\..\\',
  '..\u2215',
  '..\u2216',
  '\uff0e\uff0e\uff0f',
  '..\u0000/',
  'a\u0000../',
  '.hidden',
  '.',
  './',
  '~/',
  '~root/',
  'file:///etc/passwd',
  'a\nb/../../',
  '..\r\n/',
  `${'../'.repeat(40)}etc`,
  `${'a'.repeat(300)}/../..`,
];
