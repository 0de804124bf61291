// A PluginContext for calling the http connectors directly in tests: in-process state with expiry, a logger
// that keeps what it was told, and an abort controller standing in for shutdown.
import type { Logger, PluginContext, StateStore } from '../../core/plugin.js';

export class MemoryStateStore implements StateStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  private live(key: string) {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
  async get(key: string) {
    return this.live(key)?.value;
  }
  async set(key: string, value: string, ttlMs?: number) {
    this.entries.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : Number.POSITIVE_INFINITY });
  }
  async setIfAbsent(key: string, value: string, ttlMs?: number) {
    if (this.live(key)) return false;
    await this.set(key, value, ttlMs);
    return true;
  }
  async delete(key: string) {
    this.entries.delete(key);
  }
}

export interface TestContext extends PluginContext {
  readonly controller: AbortController;
  readonly logs: Array<{ level: string; obj: object | string; msg?: string }>;
}

export function createTestContext(overrides: Partial<PluginContext> = {}): TestContext {
  const controller = new AbortController();
  const logs: TestContext['logs'] = [];
  const log =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      logs.push({ level, obj, msg });
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  return {
    pipeline: 'test',
    component: 'http',
    logger,
    signal: controller.signal,
    state: new MemoryStateStore(),
    mode: 'embedded',
    baseDir: process.cwd(),
    controller,
    logs,
    ...overrides,
  };
}
