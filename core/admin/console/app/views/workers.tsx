// The fleet's live workers (from their heartbeats) with the jobs each holds, and the delivery jobs by state.
import type { JSX } from 'preact';
import type { FleetStatus } from '../../../fleet-status';
import { formatAge, formatCount } from '../format';
import { usePoll } from '../use-poll';

export function WorkersView(): JSX.Element {
  const { data, error } = usePoll<FleetStatus>('/api/status', 3000);
  if (!data) return error ? <p class="error">{error.message}</p> : <p class="muted">Loading…</p>;
  const now = Date.now();
  return (
    <>
      {error && (
        <p class="error" role="alert">
          Not updating: {error.message}
        </p>
      )}
      <h2>Delivery jobs</h2>
      <dl class="tiles">
        {Object.entries(data.jobs).map(([state, n]) => (
          <div key={state} class={`tile${state === 'failed' && n > 0 ? ' bad' : ''}`} data-jobs={state}>
            <dt>{state}</dt>
            <dd>{formatCount(n)}</dd>
          </div>
        ))}
      </dl>
      {data.paused.length > 0 && <p class="warn">Paused: {data.paused.join(', ')}</p>}
      <h2>Workers ({data.workers.length})</h2>
      <table class="workers">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Version</th>
            <th scope="col">Started</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Jobs held</th>
          </tr>
        </thead>
        <tbody>
          {data.workers.map((w) => (
            <tr key={w.id} data-worker={w.id}>
              <th scope="row">
                {w.host} <span class="muted">pid {w.pid}</span>
              </th>
              <td>{w.version}</td>
              <td>{formatAge(w.startedAt, now)}</td>
              <td>{formatAge(w.seenAt, now)}</td>
              <td>
                {w.jobs.length === 0
                  ? 'none'
                  : w.jobs.map((j) => (
                      <div key={j.id}>
                        {j.pipeline} sink {j.sink} · attempt {j.attempt} · {formatAge(j.since, now)}
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
