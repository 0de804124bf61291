// The filter of a dead-letter selection as text gives it (CLI options, API query parameters), one parser for both.

import { parseDuration } from '../duration.js';
import { ConfigError } from '../errors.js';
import { parseTimestamp } from '../event.js';
import type { DeadLetterFilter, DeadLetterState } from './dead-letters.js';

export interface DeadLetterFilterText {
  topic?: string;
  pipeline?: string;
  sink?: string;
  code?: string;
  /** An ISO time, or a duration meaning that long ago (`1h`). */
  since?: string;
  until?: string;
  ids?: readonly string[];
  /** `dead` (default), `redriven`, `discarded` or `all`. */
  state?: string;
}

const STATES: readonly DeadLetterState[] = ['dead', 'redriven', 'discarded'];

export function parseDeadLetterFilter(text: DeadLetterFilterText, now = Date.now()): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (text.topic) filter.topic = text.topic;
  if (text.pipeline) filter.pipeline = text.pipeline;
  if (text.sink) filter.sink = text.sink;
  if (text.code) filter.code = text.code;
  if (text.since) filter.from = timeOf(text.since, 'since', now);
  if (text.until) filter.to = timeOf(text.until, 'until', now);
  if (text.ids && text.ids.length > 0) filter.ids = text.ids;
  if (text.state && text.state !== 'dead') {
    if (text.state === 'all') filter.states = STATES;
    else if ((STATES as readonly string[]).includes(text.state)) filter.states = [text.state as DeadLetterState];
    else
      throw new ConfigError(`state "${text.state}" is not one of dead, redriven, discarded, all`, {
        code: 'E_DLQ_FILTER',
      });
  }
  return filter;
}

/**
 * The dead letters a change (redrive, discard) applies to: named ids or a filter; every one only when asked in so
 * many words, so that "all of them" is never what a forgotten option means.
 */
export function parseSelection(text: DeadLetterFilterText, allMatching: boolean, verb: string): DeadLetterFilter {
  const filter = parseDeadLetterFilter(text);
  const { states: _states, ...fields } = filter;
  if (Object.keys(fields).length === 0 && !allMatching) {
    throw new ConfigError(
      `${verb} of every dead letter needs --all-matching (allMatching in the API); or name ids, or filter by pipeline, sink, code, since, until`,
      { code: 'E_DLQ_SELECTION' },
    );
  }
  return filter;
}

function timeOf(text: string, name: string, now: number): number {
  const ago = /^\d+(\.\d+)?[a-z]+$/i.test(text) ? parseDuration(text) : undefined;
  if (ago !== undefined) return now - ago;
  const time = parseTimestamp(text);
  if (time === undefined)
    throw new ConfigError(
      `${name} "${text}" is not a time: use an ISO time (2026-01-31T12:00:00Z) or an age such as 1h`,
      {
        code: 'E_DLQ_FILTER',
      },
    );
  return time;
}
