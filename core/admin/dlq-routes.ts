// The dead-letter workflow on the admin API: the same list, show, redrive and discard as `sluice dlq`.
import type { Storage } from '../storage/storage.js';
import type { AdminRequest, AdminRoute } from './admin-route.js';
import { type DeadLetterFilterText, parseDeadLetterFilter, parseSelection } from './dead-letter-filter.js';
import { DeadLetters, jsonOf } from './dead-letters.js';
import { answer } from './error-reply.js';

export interface DlqDeps {
  storage: Storage;
}

const DEFAULT_LIMIT = 100;

export function dlqRoutes(deps: DlqDeps): AdminRoute[] {
  const letters = new DeadLetters(deps.storage);
  return [
    {
      method: 'GET',
      path: '/api/dead-letters',
      summary:
        'List dead letters: ?topic, pipeline, sink, code, since, until, ids (comma-separated), state (dead, redriven, discarded, all), limit (default 100).',
      handle: (req) =>
        answer(async () => {
          const q = req.query;
          const filter = parseDeadLetterFilter({ ...textOf(req), state: q.get('state') ?? undefined });
          const limit = Number(q.get('limit') ?? DEFAULT_LIMIT);
          return (await letters.list(filter, Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_LIMIT)).map(jsonOf);
        }),
    },
    {
      method: 'GET',
      path: '/api/dead-letters/:topic/:id',
      summary: 'One dead letter in full: event, error, attempts, origin, and what became of it.',
      handle: async (req) => {
        const letter = await letters.show(req.params.id, req.params.topic);
        if (!letter) return { status: 404, body: { error: `no dead letter ${req.params.id} in ${req.params.topic}` } };
        return { status: 200, body: jsonOf(letter) };
      },
    },
    {
      method: 'POST',
      path: '/api/dead-letters/redrive',
      summary:
        'Redrive dead letters to the sink they failed in, once each. Body: { ids?, topic?, pipeline?, sink?, code?, since?, until?, allMatching?, edit? (JSONata giving the new value), dryRun? }.',
      handle: (req) =>
        answer(() => {
          const body = bodyOf(req);
          const filter = parseSelection(textOf(req), body.allMatching === true, 'a redrive');
          return letters.redrive(filter, {
            edit: typeof body.edit === 'string' ? body.edit : undefined,
            dryRun: body.dryRun === true,
          });
        }),
    },
    {
      method: 'POST',
      path: '/api/dead-letters/discard',
      summary:
        'Discard dead letters with a reason that stays recorded. Body: { reason, ids?, topic?, pipeline?, sink?, code?, since?, until?, allMatching? }.',
      handle: (req) =>
        answer(async () => {
          const body = bodyOf(req);
          const filter = parseSelection(textOf(req), body.allMatching === true, 'a discard');
          return { discarded: await letters.discard(filter, typeof body.reason === 'string' ? body.reason : '') };
        }),
    },
  ];
}

function bodyOf(req: AdminRequest): Record<string, unknown> {
  return req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
}

/** The filter fields of a request: from the JSON body of a POST, else from the query string. */
function textOf(req: AdminRequest): DeadLetterFilterText {
  const body = bodyOf(req);
  const field = (name: string): string | undefined => {
    const v = req.method === 'GET' ? req.query.get(name) : body[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const ids = req.method === 'GET' ? req.query.get('ids')?.split(',').filter(Boolean) : body.ids;
  return {
    topic: field('topic'),
    pipeline: field('pipeline'),
    sink: field('sink'),
    code: field('code'),
    since: field('since'),
    until: field('until'),
    ids: Array.isArray(ids) ? ids.map(String) : undefined,
  };
}
