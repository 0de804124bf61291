// The admin API reference as a Markdown table, made from the routes' own summaries, so the README's table is
// generated (and checked by a test) rather than written twice.
import type { AdminRoute } from './admin-route.js';

export function routeTable(open: readonly AdminRoute[], guarded: readonly AdminRoute[]): string {
  const row = (r: AdminRoute, token: string) =>
    `| \`${r.method} ${r.path}\` | ${token} | ${r.summary.replace(/\|/g, '\\|')} |`;
  return [
    '| route | token | what it does |',
    '| --- | --- | --- |',
    ...open.map((r) => row(r, 'no')),
    ...guarded.map((r) => row(r, 'yes')),
  ].join('\n');
}
