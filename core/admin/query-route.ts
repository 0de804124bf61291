// POST /query on the admin port: SQL over the stored topics, the same handler as `--query-port` serves. The
// query engine is loaded at the first query, so a process never asked one does not load it.
import type { QueryOptions } from '../query/query-engine.js';
import type { AdminDeps } from './admin-deps.js';
import type { AdminRoute } from './admin-route.js';

export function queryRoute(deps: AdminDeps, options: () => Promise<QueryOptions>): AdminRoute {
  return {
    method: 'POST',
    path: '/query',
    summary:
      'Answer SQL over stored topics: the statement as text or {"sql": …}; rows as NDJSON (?format=json|csv|table).',
    handle: async ({ raw, body }) => {
      const { handleQueryRequest } = await import('../query/query-http.js');
      await handleQueryRequest(raw.req, raw.res, deps.storage, await options(), body);
      return undefined;
    },
  };
}
