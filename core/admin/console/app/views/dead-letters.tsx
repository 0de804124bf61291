// The dead-letter view: what failed and why, filtered by topic, pipeline, sink, error code, state and time; each
// row opens to its full error, origin and original event; selected rows (or every row matching the filter) can be
// redriven or discarded. Rows an action changed stay in the list with their new state, whatever the filter.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ActionBar, type ActionResult, type LetterRef, type Selection } from './dead-letter-actions';
import { EventDetails, valuePreview, visibleText } from './dead-letter-event';
import {
  type FilterChoices,
  FilterForm,
  type Filters,
  filterQuery,
  filtersFromHash,
  selectionFields,
} from './dead-letter-filters';
import './dead-letters.css';

const LIMIT = 200;

interface Letter extends LetterRef {
  key: string | null;
  value: unknown;
  ts: number;
  headers: Record<string, string>;
  error: { reason: string; code: string; kind: string; component: string; details?: unknown };
  attempts: number | null;
  failedAt: string | null;
  origin: { pipeline: string; topic: string | null; id: string | null; subscription: string | null; step: number };
  state: 'dead' | 'redriven' | 'discarded';
  mark?: { state: string; at: string; reason?: string; to?: LetterRef };
}

interface StatusAnswer {
  topics: Array<{ name: string; isDeadLetter: boolean }>;
}

interface PipelinesAnswer {
  pipelines: Array<{ name: string; sinks: Array<{ name: string }> }>;
}

const refOf = (l: LetterRef) => `${l.topic}\u0000${l.id}`;

function timeText(iso: string | null): string {
  return iso === null ? '—' : `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

function groupByTopic(refs: readonly LetterRef[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { topic, id } of refs) groups.set(topic, [...(groups.get(topic) ?? []), id]);
  return groups;
}

/** The dead letters matching the filter, then those an action just changed that the filter no longer shows. */
async function loadLetters(filters: Filters, changed: readonly LetterRef[]): Promise<Letter[]> {
  const query = filterQuery(filters);
  query.set('limit', String(LIMIT));
  const letters = await api.get<Letter[]>(`/api/dead-letters?${query}`);
  const shown = new Set(letters.map(refOf));
  const missing = changed.filter((l) => !shown.has(refOf(l)));
  const again: Letter[] = [];
  for (const [topic, ids] of groupByTopic(missing)) {
    const q = new URLSearchParams({ topic, ids: ids.join(','), state: 'all' });
    again.push(...(await api.get<Letter[]>(`/api/dead-letters?${q}`)));
  }
  return [...again, ...letters];
}

async function loadChoices(): Promise<Omit<FilterChoices, 'codes'>> {
  const [status, pipelines] = await Promise.all([
    api.get<StatusAnswer>('/api/status'),
    api.get<PipelinesAnswer>('/api/pipelines'),
  ]);
  return {
    topics: status.topics.filter((t) => t.isDeadLetter).map((t) => t.name),
    pipelines: pipelines.pipelines.map((p) => p.name),
    sinks: [...new Set(pipelines.pipelines.flatMap((p) => p.sinks.map((s) => s.name)))],
  };
}

function StateCell(props: { letter: Letter }): JSX.Element {
  const { state, mark } = props.letter;
  if (state === 'redriven') {
    return (
      <span class="dlq-state dlq-redriven">
        redriven{mark?.to ? ` → ${mark.to.topic} ${mark.to.id}` : ''}
        {mark?.at ? <span class="muted"> {timeText(mark.at)}</span> : null}
      </span>
    );
  }
  if (state === 'discarded') {
    return (
      <span class="dlq-state dlq-discarded">
        discarded{mark?.reason ? `: ${visibleText(mark.reason)}` : ''}
        {mark?.at ? <span class="muted"> {timeText(mark.at)}</span> : null}
      </span>
    );
  }
  return <span class="dlq-state dlq-dead">dead</span>;
}

function LetterDetails(props: { letter: Letter }): JSX.Element {
  const { letter } = props;
  const { error, origin } = letter;
  return (
    <div class="dlq-details">
      <div>
        <h3>Error</h3>
        <p class="error dlq-reason-text">{visibleText(error.reason)}</p>
        <dl class="dlq-facts">
          <dt>Code</dt>
          <dd>{error.code || '—'}</dd>
          <dt>Kind</dt>
          <dd>{error.kind || '—'}</dd>
          <dt>In</dt>
          <dd>{error.component || '—'}</dd>
          <dt>Attempts</dt>
          <dd>{letter.attempts ?? '—'}</dd>
          <dt>Failed at</dt>
          <dd>{timeText(letter.failedAt)}</dd>
          <dt>Pipeline</dt>
          <dd>{origin.pipeline || '—'}</dd>
          <dt>Subscription</dt>
          <dd>{origin.subscription ?? 'none (failed before it was stored)'}</dd>
          <dt>From</dt>
          <dd>{origin.topic ? `${origin.topic} ${origin.id ?? ''}` : '—'}</dd>
          <dt>Dead letter</dt>
          <dd>
            {letter.topic} {letter.id}
          </dd>
        </dl>
        {error.details !== undefined && (
          <>
            <h3>Details</h3>
            <pre class="event-value">{JSON.stringify(error.details, null, 2)}</pre>
          </>
        )}
      </div>
      <EventDetails event={letter} />
    </div>
  );
}

function LetterRow(props: {
  letter: Letter;
  isSelected: boolean;
  isOpen: boolean;
  isChanged: boolean;
  onSelect: (selected: boolean) => void;
  onToggle: () => void;
}): JSX.Element {
  const { letter, isOpen } = props;
  const detailsId = `dlq-details-${letter.topic}-${letter.id}`.replace(/[^\w-]/g, '_');
  const sink = letter.origin.subscription?.slice(letter.origin.pipeline.length + 1) ?? '—';
  return (
    <>
      <tr class={props.isChanged ? 'dlq-changed' : undefined} data-id={letter.id}>
        <td>
          <input
            type="checkbox"
            checked={props.isSelected}
            disabled={letter.state !== 'dead'}
            aria-label={`Select dead letter ${letter.id}`}
            onChange={(e) => props.onSelect(e.currentTarget.checked)}
          />
        </td>
        <td class="dlq-time">{timeText(letter.failedAt)}</td>
        <td>{letter.origin.pipeline || '—'}</td>
        <td>{sink}</td>
        <td>
          <code>{letter.error.code || '—'}</code>
        </td>
        <td class="dlq-reason-cell" title={letter.error.reason}>
          {valuePreview(letter.error.reason, 90)}
        </td>
        <td class="dlq-value-cell">
          <code>{valuePreview(letter.value, 60)}</code>
        </td>
        <td>
          <StateCell letter={letter} />
        </td>
        <td>
          <button
            type="button"
            class="secondary"
            aria-expanded={isOpen}
            aria-controls={detailsId}
            aria-label={`${isOpen ? 'Hide' : 'Show'} dead letter ${letter.id}`}
            onClick={props.onToggle}
          >
            {isOpen ? 'Hide' : 'Show'}
          </button>
        </td>
      </tr>
      {isOpen && (
        <tr id={detailsId} class="dlq-details-row">
          <td colSpan={9}>
            <LetterDetails letter={letter} />
          </td>
        </tr>
      )}
    </>
  );
}

function selectionOf(
  letters: readonly Letter[],
  selected: ReadonlySet<string>,
  isAllMatching: boolean,
  filters: Filters,
): Selection | undefined {
  if (isAllMatching) {
    return {
      bodies: [{ ...selectionFields(filters), allMatching: true }],
      label: 'every dead letter matching the filter',
    };
  }
  const refs = letters.filter((l) => selected.has(refOf(l)) && l.state === 'dead');
  if (refs.length === 0) return undefined;
  return {
    bodies: [...groupByTopic(refs)].map(([topic, ids]) => ({ topic, ids })),
    label: `${refs.length} dead letter${refs.length === 1 ? '' : 's'}`,
  };
}

function outcomeText(result: ActionResult): string {
  const n = result.changed.length;
  const what = `${n} dead letter${n === 1 ? '' : 's'}`;
  const done = result.verb === 'redrive' ? `Redrove ${what} to the sink it failed in.` : `Discarded ${what}.`;
  return result.skipped.length === 0 ? done : `${done} Skipped ${result.skipped.length}: ${result.skipped[0].reason}`;
}

export function DeadLettersView(): JSX.Element {
  const [filters, setFilters] = useState(() => filtersFromHash(location.hash));
  const [letters, setLetters] = useState<Letter[] | undefined>(undefined);
  const [choices, setChoices] = useState<Omit<FilterChoices, 'codes'>>({ topics: [], pipelines: [], sinks: [] });
  const [error, setError] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [isAllMatching, setAllMatching] = useState(false);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [changed, setChanged] = useState<LetterRef[]>([]);
  const [outcome, setOutcome] = useState('');
  const [loads, setLoads] = useState(0);

  useEffect(() => {
    loadChoices()
      .then(setChoices)
      .catch(() => {
        // The filters still work typed in; the list's own error says what is wrong with the port.
      });
  }, []);

  useEffect(() => {
    let isCurrent = true;
    loadLetters(filters, changed)
      .then((list) => {
        if (!isCurrent) return;
        setLetters(list);
        setError('');
      })
      .catch((err: unknown) => {
        if (isCurrent) setError(err instanceof ApiError ? err.message : String(err));
      });
    return () => {
      isCurrent = false;
    };
  }, [filters, changed, loads]);

  const codes = useMemo(() => [...new Set((letters ?? []).map((l) => l.error.code).filter(Boolean))], [letters]);
  const dead = (letters ?? []).filter((l) => l.state === 'dead');
  const changedRefs = new Set(changed.map(refOf));

  const apply = (next: Filters) => {
    const query = filterQuery(next).toString();
    history.replaceState(null, '', `#/dead-letters${query ? `?${query}` : ''}`);
    setSelected(new Set());
    setAllMatching(false);
    setChanged([]);
    setOutcome('');
    setFilters(next);
  };

  const toggle = (set: ReadonlySet<string>, key: string, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(key);
    else next.delete(key);
    return next;
  };

  const done = (result: ActionResult) => {
    setOutcome(outcomeText(result));
    setSelected(new Set());
    setAllMatching(false);
    setChanged(result.changed);
  };

  return (
    <div class="dlq">
      <FilterForm applied={filters} choices={{ ...choices, codes }} onApply={apply} />
      <div class="panel">
        <ActionBar selection={selectionOf(letters ?? [], selected, isAllMatching, filters)} onDone={done} />
        {outcome && (
          <p role="status" class="ok dlq-outcome">
            {outcome}
          </p>
        )}
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <div class="dlq-list-head">
          <label>
            <input
              type="checkbox"
              checked={dead.length > 0 && dead.every((l) => selected.has(refOf(l)))}
              disabled={dead.length === 0 || isAllMatching}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setSelected(on ? new Set(dead.map(refOf)) : new Set());
              }}
            />
            Select every dead one shown
          </label>
          <label>
            <input
              type="checkbox"
              name="allMatching"
              checked={isAllMatching}
              onChange={(e) => setAllMatching(e.currentTarget.checked)}
            />
            All matching the filter, also those not shown
          </label>
          <button type="button" class="secondary" onClick={() => setLoads((n) => n + 1)}>
            Refresh
          </button>
          <span class="muted" aria-live="polite">
            {letters === undefined
              ? 'Loading…'
              : `${letters.length} shown${letters.length >= LIMIT ? ` (the first ${LIMIT}: narrow the filter)` : ''}`}
          </span>
        </div>
        {letters !== undefined && letters.length === 0 ? (
          <p class="muted">No dead letters match.</p>
        ) : (
          <div class="dlq-table-wrap">
            <table class="dlq-table">
              <caption class="sr-only">Dead letters</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span class="sr-only">Select</span>
                  </th>
                  <th scope="col">Failed at</th>
                  <th scope="col">Pipeline</th>
                  <th scope="col">Sink</th>
                  <th scope="col">Code</th>
                  <th scope="col">Error</th>
                  <th scope="col">Value</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(letters ?? []).map((letter) => {
                  const ref = refOf(letter);
                  return (
                    <LetterRow
                      key={ref}
                      letter={letter}
                      isSelected={isAllMatching ? letter.state === 'dead' : selected.has(ref)}
                      isOpen={open.has(ref)}
                      isChanged={changedRefs.has(ref)}
                      onSelect={(on) => setSelected((s) => toggle(s, ref, on))}
                      onToggle={() => setOpen((s) => toggle(s, ref, !s.has(ref)))}
                    />
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
