// The README's admin API table is the one the routes' summaries make: a route added or reworded without the
// README fails here, with the table to paste between the markers.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AdminDeps } from '../../../../core/admin/admin-deps.js';
import { apiRoutes, type ConsoleParts, openRoutes } from '../../../../core/admin/admin-port.js';
import type { MetricHistory } from '../../../../core/admin/console/metric-history.js';
import { routeTable } from '../../../../core/admin/route-table.js';

// Building the route lists reads nothing from the engine but its registry; the handlers are never called here.
const deps = { engine: { metrics: { registry: new Registry() } } } as unknown as AdminDeps;
// The table lists the console's routes too, as a process with --console serves them.
const console: ConsoleParts = {
  files: new Map([['index.html', { body: Buffer.from(''), type: 'text/html', isImmutable: false }]]),
  history: {} as MetricHistory,
  hasToken: true,
};

describe('the README admin API reference', () => {
  it('is the table generated from the route summaries', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const between = /<!-- admin-routes:start -->\n([\s\S]*?)\n<!-- admin-routes:end -->/.exec(readme)?.[1];
    expect(between).toBe(
      routeTable(
        openRoutes(deps, console),
        apiRoutes(deps, async () => ({}), console),
      ),
    );
  });
});
