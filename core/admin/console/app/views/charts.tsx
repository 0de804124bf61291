// Events in and out per second, lag and p99 latency over the last minutes: the history the port kept before the
// page opened, then a new point every interval. Beside each chart its latest figure, as text.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { HistoryReply, HistorySample } from '../../console-types';
import { ApiError, api } from '../api';
import { formatCount, formatRate, formatSeconds } from '../format';
import { TimeChart } from './time-chart';

const WINDOWS = [1, 5, 10] as const;

interface ChartSpec {
  id: string;
  title: string;
  pick: (s: HistorySample) => Record<string, number | null>;
  format: (v: number) => string;
  /** How the latest figure across series reads: a sum (rates, lag) or the worst (latency). */
  combine: 'sum' | 'max';
  what: string;
  isWhole?: boolean;
}

const CHARTS: readonly ChartSpec[] = [
  { id: 'in', title: 'Events in', pick: (s) => s.in, format: formatRate, combine: 'sum', what: 'stored per second' },
  {
    id: 'out',
    title: 'Events out',
    pick: (s) => s.out,
    format: formatRate,
    combine: 'sum',
    what: 'delivered per second',
  },
  {
    id: 'lag',
    title: 'Lag',
    pick: (s) => s.lag,
    format: formatCount,
    combine: 'sum',
    what: 'events waiting',
    isWhole: true,
  },
  {
    id: 'p99',
    title: 'p99 latency',
    pick: (s) => s.p99,
    format: (v) => formatSeconds(v),
    combine: 'max',
    what: 'stored to delivered, worst sink',
  },
];

/** The samples of the history, kept up to date every interval. */
function useHistory(): { reply?: HistoryReply; error?: ApiError } {
  const [state, setState] = useState<{ reply?: HistoryReply; error?: ApiError }>({});
  useEffect(() => {
    let timer: number | undefined;
    let isStopped = false;
    let last: HistoryReply | undefined;
    const tick = async () => {
      try {
        const since = last?.samples.at(-1)?.t ?? 0;
        const next = await api.get<HistoryReply>(`/api/console/history?since=${since}`);
        if (isStopped) return;
        const keepFrom = Date.now() - 10 * 60_000;
        const samples = [...(last?.samples ?? []), ...next.samples].filter((s) => s.t >= keepFrom);
        last = { ...next, samples };
        setState({ reply: last });
        timer = window.setTimeout(tick, next.intervalMs);
      } catch (err) {
        if (isStopped) return;
        const error = err instanceof ApiError ? err : new ApiError(String(err), 0);
        setState((s) => ({ ...s, error }));
        if (error.status !== 401) timer = window.setTimeout(tick, 5000);
      }
    };
    void tick();
    return () => {
      isStopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return state;
}

function Chart(props: { spec: ChartSpec; samples: HistorySample[] }): JSX.Element {
  const { spec, samples } = props;
  const keys = [...new Set(samples.flatMap((s) => Object.keys(spec.pick(s))))].sort();
  const latestSample = samples.at(-1);
  const latestValues = latestSample ? keys.map((k) => spec.pick(latestSample)[k]).filter((v) => v != null) : [];
  const latest =
    latestValues.length === 0
      ? null
      : spec.combine === 'sum'
        ? latestValues.reduce((a, b) => a + b, 0)
        : Math.max(...latestValues);
  const headingId = `chart-${spec.id}`;
  return (
    <section class="panel chart-panel" aria-labelledby={headingId} data-chart={spec.id} data-points={samples.length}>
      <div class="chart-head">
        <h2 id={headingId}>{spec.title}</h2>
        <p class="latest" data-latest={latest === null ? '' : String(latest)}>
          {latest === null ? 'no data yet' : `${spec.format(latest)} ${spec.what}`}
        </p>
      </div>
      {keys.length === 0 ? (
        <p class="muted">Nothing measured yet.</p>
      ) : (
        <TimeChart
          label={`${spec.title} over time`}
          x={samples.map((s) => s.t / 1000)}
          series={keys.map((k) => ({ label: k, values: samples.map((s) => spec.pick(s)[k] ?? null) }))}
          format={spec.format}
          isWhole={spec.isWhole}
        />
      )}
    </section>
  );
}

export function ChartsView(): JSX.Element {
  const { reply, error } = useHistory();
  const [minutes, setMinutes] = useState<number>(5);
  if (!reply) return error ? <p class="error">{error.message}</p> : <p class="muted">Loading…</p>;
  const from = Date.now() - minutes * 60_000;
  const samples = reply.samples.filter((s) => s.t >= from);
  return (
    <>
      <div class="toolbar">
        <label>
          Last{' '}
          <select value={minutes} onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}>
            {WINDOWS.map((m) => (
              <option key={m} value={m}>
                {m} min
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          Rates and lag are the fleet's; p99 latency as measured by {reply.worker}. A point every{' '}
          {reply.intervalMs / 1000} s.
        </span>
        {error && (
          <span class="error" role="alert">
            Not updating: {error.message}
          </span>
        )}
      </div>
      <div class="charts">
        {CHARTS.map((spec) => (
          <Chart key={spec.id} spec={spec} samples={samples} />
        ))}
      </div>
    </>
  );
}
