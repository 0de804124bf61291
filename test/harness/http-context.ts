// A PluginContext for calling the http connectors directly: the shared test context, plus an abort
// controller standing in for shutdown and a logger that keeps what it was told.
import type { Logger, PluginContext } from '../../core/plugin.js';
import { testPluginContext } from '../conformance/plugin-context.js';

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
    ...testPluginContext({ component: 'http', logger, signal: controller.signal, ...overrides }),
    controller,
    logs,
  };
}
