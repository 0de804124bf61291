// The pipelines of the deployment as a graph (sources → topics → sinks), each node with its live rate and lag,
// and the same facts as a table for keyboards and screen readers.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { GraphPipeline, GraphReply } from '../../console-types';
import { ApiError, api } from '../api';
import { formatCount, formatRate } from '../format';
import { usePoll } from '../use-poll';
import { edgePath, GRAPH_WIDTH, type LaidNode, layOut, NODE } from './pipeline-graph';

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a node says: its name, what it is, and its figures. */
function describe(node: LaidNode): { title: string; kind: string; figures: string; tone: string } {
  switch (node.kind) {
    case 'source': {
      const p = node.pipeline;
      return {
        title: p.name,
        kind: `source · ${p.source?.type}`,
        figures: `${formatRate(p.source?.rate ?? 0)} in`,
        tone: p.state === 'running' ? 'ok' : p.state === 'paused' ? 'warn' : 'bad',
      };
    }
    case 'topic':
      return {
        title: node.topic.name,
        kind: `topic · ${node.topic.partitions} partitions`,
        figures: `${formatCount(node.topic.length)} stored · lag ${formatCount(node.lag)}`,
        tone: 'topic',
      };
    case 'sink': {
      const s = node.sink;
      return {
        title: s.subscription,
        kind: `sink · ${s.type}${s.state === 'running' ? '' : ` · ${s.state}`}${s.isFailing ? ' · failing' : ''}`,
        figures: `${formatRate(s.rate)} out · lag ${formatCount(s.lag)}`,
        tone: s.isFailing || s.state === 'stopped' ? 'bad' : s.state === 'paused' ? 'warn' : 'ok',
      };
    }
  }
}

function Graph(props: { graph: GraphReply }): JSX.Element {
  const { nodes, edges, height } = layOut(props.graph);
  return (
    <svg
      class="graph"
      viewBox={`0 0 ${GRAPH_WIDTH} ${height}`}
      role="img"
      aria-label="Pipeline graph: sources on the left, topics in the middle, sinks on the right"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" class="arrow" />
        </marker>
      </defs>
      {edges.map((e) => (
        <path key={`${e.from.id}>${e.to.id}`} d={edgePath(e)} class="edge" marker-end="url(#arrow)" />
      ))}
      {nodes.map((node) => {
        const d = describe(node);
        return (
          <g key={node.id} transform={`translate(${node.x},${node.y})`} class={`node ${d.tone}`} data-node={node.id}>
            <title>{`${d.title}\n${d.kind}\n${d.figures}`}</title>
            <rect width={NODE.width} height={NODE.height} rx="6" />
            <text x="12" y="20" class="node-title">
              {clip(d.title, 30)}
            </text>
            <text x="12" y="37" class="node-kind">
              {clip(d.kind, 38)}
            </text>
            <text x="12" y="54" class="node-figures" data-figures={d.figures}>
              {d.figures}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

type Order = 'pause' | 'resume' | 'restart';

/** Pause or resume, and restart: orders that reach every worker of the fleet. */
function PipelineActions(props: { pipeline: GraphPipeline; onDone: (message: string, isError: boolean) => void }) {
  const { pipeline } = props;
  const [busy, setBusy] = useState<Order | null>(null);
  const send = async (order: Order) => {
    setBusy(order);
    try {
      const reply = await api.post<{ inFlight?: number }>(
        `/api/pipelines/${encodeURIComponent(pipeline.name)}/${order}`,
        {},
      );
      const done = { pause: 'paused', resume: 'resumed', restart: 'restarted' }[order];
      const left = reply.inFlight ? ` (${reply.inFlight} events still being written)` : '';
      props.onDone(`${pipeline.name} ${done} on every worker${left}.`, false);
    } catch (err) {
      props.onDone(`${pipeline.name}: ${err instanceof ApiError ? err.message : String(err)}`, true);
    } finally {
      setBusy(null);
    }
  };
  const toggle: Order = pipeline.state === 'paused' ? 'resume' : 'pause';
  return (
    <div class="actions">
      <button
        type="button"
        class="secondary"
        disabled={busy !== null}
        aria-label={`${toggle === 'pause' ? 'Pause' : 'Resume'} ${pipeline.name}`}
        onClick={() => send(toggle)}
      >
        {busy === toggle ? '…' : toggle === 'pause' ? 'Pause' : 'Resume'}
      </button>
      <button
        type="button"
        class="secondary"
        disabled={busy !== null}
        aria-label={`Restart ${pipeline.name}`}
        onClick={() => send('restart')}
      >
        {busy === 'restart' ? '…' : 'Restart'}
      </button>
    </div>
  );
}

function PipelineTable(props: { graph: GraphReply }): JSX.Element {
  const topics = new Map(props.graph.topics.map((t) => [t.name, t]));
  const [outcome, setOutcome] = useState<{ message: string; isError: boolean } | null>(null);
  const onDone = (message: string, isError: boolean) => setOutcome({ message, isError });
  return (
    <>
      <p class={outcome?.isError ? 'error' : 'muted'} role="status">
        {outcome?.message ?? ''}
      </p>
      <table class="pipelines">
        <caption class="muted">Pipelines</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline</th>
            <th scope="col">State</th>
            <th scope="col">Source</th>
            <th scope="col">Topic</th>
            <th scope="col">Sinks</th>
            <th scope="col" class="num">
              Dead letters
            </th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.graph.pipelines.map((p) => (
            <tr key={p.name} data-pipeline={p.name}>
              <th scope="row">{p.name}</th>
              <td class={p.state === 'running' ? 'ok' : 'warn'}>{p.state}</td>
              <td>{p.source ? `${p.source.type} · ${formatRate(p.source.rate)}` : '–'}</td>
              <td>{p.queryInput ? `${p.queryInput} → query → ${p.topic}` : p.topic}</td>
              <td>
                {p.sinks.length === 0
                  ? '–'
                  : p.sinks.map((s) => (
                      <div key={s.subscription}>
                        {s.name} ({s.type}) · {formatRate(s.rate)} · lag {formatCount(s.lag)}
                        {s.isFailing ? <span class="bad"> · failing</span> : null}
                      </div>
                    ))}
              </td>
              <td class="num">
                <a href="#/dead-letters">{formatCount(topics.get(p.deadLetterTopic)?.length ?? 0)}</a>
              </td>
              <td>
                <PipelineActions pipeline={p} onDone={onDone} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function PipelinesView(): JSX.Element {
  const { data, error } = usePoll<GraphReply>('/api/console/graph', 2000);
  if (!data) return error ? <p class="error">{error.message}</p> : <p class="muted">Loading…</p>;
  return (
    <>
      {error && (
        <p class="error" role="alert">
          Not updating: {error.message}
        </p>
      )}
      {data.pipelines.length === 0 ? (
        <p class="muted">This process runs no pipelines.</p>
      ) : (
        <>
          <div class="panel graph-panel">
            <Graph graph={data} />
          </div>
          <p class="muted">
            Rates are the fleet's (every live worker's heartbeat counts, summed); lag and stored events too.
          </p>
          <PipelineTable graph={data} />
        </>
      )}
    </>
  );
}
