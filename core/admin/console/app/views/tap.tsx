// The tap view: a live sample of one pipeline's events at one stage (after an inbound processor, on the topic, as
// handed to a sink), as the admin port streams it. The list keeps only the newest events, so a busy stage cannot
// grow the page without bound; stopping, leaving the view or closing the tab ends the stream.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { EventDetails, valuePreview, visibleText } from './dead-letter-event';
import './dead-letters.css';

const KEEP_CHOICES = [50, 200, 1000];

interface TapPipeline {
  name: string;
  stages: string[];
}

interface TappedEvent {
  stage: string;
  id?: string;
  key: string | null;
  value: unknown;
  ts: number;
  headers?: Record<string, string>;
}

interface Shown {
  /** The position in the tap's own count: a stable key while the list slides. */
  seq: number;
  event: TappedEvent;
}

function timeText(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts).toISOString().slice(11, 23) : '—';
}

function TapRow(props: { shown: Shown; isOpen: boolean; onToggle: () => void }): JSX.Element {
  const { seq, event } = props.shown;
  const detailsId = `tap-event-${seq}`;
  return (
    <>
      <tr>
        <td class="num">{seq}</td>
        <td class="dlq-time">{timeText(event.ts)}</td>
        <td>{event.key === null ? <span class="muted">—</span> : visibleText(event.key)}</td>
        <td class="dlq-value-cell">
          <code>{valuePreview(event.value, 100)}</code>
        </td>
        <td>{event.id ?? ''}</td>
        <td>
          <button
            type="button"
            class="secondary"
            aria-expanded={props.isOpen}
            aria-controls={detailsId}
            aria-label={`${props.isOpen ? 'Hide' : 'Show'} event ${seq}`}
            onClick={props.onToggle}
          >
            {props.isOpen ? 'Hide' : 'Show'}
          </button>
        </td>
      </tr>
      {props.isOpen && (
        <tr id={detailsId}>
          <td colSpan={6}>
            <EventDetails event={event} />
          </td>
        </tr>
      )}
    </>
  );
}

export function TapView(): JSX.Element {
  const [pipelines, setPipelines] = useState<TapPipeline[] | undefined>(undefined);
  const [pipeline, setPipeline] = useState('');
  const [stage, setStage] = useState('');
  const [sample, setSample] = useState('1');
  const [keep, setKeep] = useState(KEEP_CHOICES[1]);
  const [events, setEvents] = useState<Shown[]>([]);
  const [count, setCount] = useState(0);
  const [tapping, setTapping] = useState('');
  const [error, setError] = useState('');
  const [open, setOpen] = useState<number | undefined>(undefined);
  const stop = useRef<(() => void) | undefined>(undefined);
  const seq = useRef(0);
  const kept = useRef(keep);
  kept.current = keep;

  useEffect(() => {
    api
      .get<{ pipelines: TapPipeline[] }>('/api/tap')
      .then((answer) => {
        setPipelines(answer.pipelines);
        const first = answer.pipelines[0];
        if (first) {
          setPipeline(first.name);
          setStage(first.stages.includes('topic') ? 'topic' : first.stages[0]);
        }
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
    return () => stop.current?.();
  }, []);

  const stages = pipelines?.find((p) => p.name === pipeline)?.stages ?? [];
  const share = Number(sample);
  const isSampleValid = share > 0 && share <= 1;

  const end = () => {
    stop.current?.();
    stop.current = undefined;
    setTapping('');
  };

  const start = (e: Event) => {
    e.preventDefault();
    if (!isSampleValid || stage === '') return;
    end();
    setError('');
    setEvents([]);
    setCount(0);
    setOpen(undefined);
    seq.current = 0;
    const query = new URLSearchParams({ stage, sample: String(share) });
    setTapping(`${pipeline} at ${stage}`);
    stop.current = api.stream(
      `/api/tap/${encodeURIComponent(pipeline)}?${query}`,
      (data) => {
        seq.current += 1;
        const shown = { seq: seq.current, event: data as TappedEvent };
        setCount(seq.current);
        setEvents((list) => [shown, ...list].slice(0, kept.current));
      },
      (err) => {
        setError(err.message);
        stop.current = undefined;
        setTapping('');
      },
      () => {
        setError('The process ended the tap (it stopped, or reloaded its pipelines): start again to go on.');
        stop.current = undefined;
        setTapping('');
      },
    );
  };

  return (
    <div class="tap">
      <form class="panel tap-form" aria-label="Tap a stage" onSubmit={start}>
        <label>
          Pipeline
          <select
            name="pipeline"
            value={pipeline}
            disabled={tapping !== ''}
            onChange={(e) => {
              const name = e.currentTarget.value;
              setPipeline(name);
              const next = pipelines?.find((p) => p.name === name)?.stages ?? [];
              setStage(next.includes('topic') ? 'topic' : (next[0] ?? ''));
            }}
          >
            {(pipelines ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Stage
          <select
            name="stage"
            value={stage}
            disabled={tapping !== ''}
            onChange={(e) => setStage(e.currentTarget.value)}
          >
            {stages.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sample (share of events, 0–1)
          <input
            name="sample"
            type="number"
            min="0.001"
            max="1"
            step="any"
            value={sample}
            disabled={tapping !== ''}
            aria-invalid={!isSampleValid}
            onInput={(e) => setSample(e.currentTarget.value)}
          />
        </label>
        <label>
          Keep the newest
          <select
            name="keep"
            value={String(keep)}
            onChange={(e) => {
              const n = Number(e.currentTarget.value);
              setKeep(n);
              setEvents((list) => list.slice(0, n));
            }}
          >
            {KEEP_CHOICES.map((n) => (
              <option key={n} value={String(n)}>
                {n} events
              </option>
            ))}
          </select>
        </label>
        <div class="dlq-filter-buttons">
          {tapping === '' ? (
            // Keys keep these two apart: a Stop button re-rendered in place as a submit button would start again.
            <button key="start" type="submit" disabled={!isSampleValid || stage === ''}>
              Start
            </button>
          ) : (
            <button key="stop" type="button" onClick={end}>
              Stop
            </button>
          )}
          <button
            type="button"
            class="secondary"
            disabled={events.length === 0}
            onClick={() => {
              setEvents([]);
              setOpen(undefined);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {pipelines?.length === 0 && <p class="muted">This process runs no pipeline to tap.</p>}
      {!isSampleValid && <p class="error">The sample is a share above 0 and at most 1.</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="panel">
        <p class="muted" aria-live="polite">
          {tapping === '' ? 'Not tapping.' : `Tapping ${tapping}: ${count} events so far`}
          {count > events.length && events.length > 0 ? `, the newest ${events.length} shown` : ''}
        </p>
        {events.length > 0 && (
          <div class="dlq-table-wrap">
            <table class="tap-table">
              <caption class="sr-only">Tapped events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col" class="num">
                    #
                  </th>
                  <th scope="col">Event time (UTC)</th>
                  <th scope="col">Key</th>
                  <th scope="col">Value</th>
                  <th scope="col">Id</th>
                  <th scope="col">
                    <span class="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {events.map((shown) => (
                  <TapRow
                    key={shown.seq}
                    shown={shown}
                    isOpen={open === shown.seq}
                    onToggle={() => setOpen((o) => (o === shown.seq ? undefined : shown.seq))}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
