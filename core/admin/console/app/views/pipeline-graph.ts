// Lays the pipelines out in three columns: sources, topics, sinks. A topic several pipelines share is one node,
// so a topic written by one pipeline and read by another shows as one chain. Pure: the graph view draws it.
import type { GraphPipeline, GraphReply, GraphSink, GraphTopic } from '../../console-types';

export const NODE = { width: 260, height: 62, gap: 14 };
export const COLUMNS = [20, 370, 720] as const;
export const GRAPH_WIDTH = COLUMNS[2] + NODE.width + 20;

export type LaidNode =
  | { kind: 'source'; id: string; x: number; y: number; pipeline: GraphPipeline }
  | { kind: 'topic'; id: string; x: number; y: number; topic: GraphTopic; lag: number; rateIn: number }
  | { kind: 'sink'; id: string; x: number; y: number; pipeline: GraphPipeline; sink: GraphSink };

export interface LaidEdge {
  from: LaidNode;
  to: LaidNode;
  label?: string;
}

export interface Layout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  height: number;
}

const rowY = (row: number) => 10 + row * (NODE.height + NODE.gap);

export function layOut(graph: GraphReply): Layout {
  const topicInfo = new Map(graph.topics.map((t) => [t.name, t]));
  const topics = new Map<string, LaidNode & { kind: 'topic' }>();
  const topicNode = (name: string) => {
    let node = topics.get(name);
    if (!node) {
      const topic = topicInfo.get(name) ?? { name, partitions: 0, length: 0, isDeadLetter: false };
      node = { kind: 'topic', id: `topic:${name}`, x: COLUMNS[1], y: rowY(topics.size), topic, lag: 0, rateIn: 0 };
      topics.set(name, node);
    }
    return node;
  };
  const nodes: LaidNode[] = [];
  const edges: LaidEdge[] = [];
  let sources = 0;
  let sinks = 0;
  for (const p of graph.pipelines) {
    if (p.queryInput) edges.push({ from: topicNode(p.queryInput), to: topicNode(p.topic), label: 'query' });
    const topic = topicNode(p.topic);
    if (p.source) {
      const source: LaidNode = {
        kind: 'source',
        id: `source:${p.name}`,
        x: COLUMNS[0],
        y: rowY(sources++),
        pipeline: p,
      };
      nodes.push(source);
      edges.push({ from: source, to: topic });
      topic.rateIn += p.source.rate;
    }
    for (const s of p.sinks) {
      const sink: LaidNode = {
        kind: 'sink',
        id: `sink:${s.subscription}`,
        x: COLUMNS[2],
        y: rowY(sinks++),
        pipeline: p,
        sink: s,
      };
      nodes.push(sink);
      edges.push({ from: topic, to: sink });
      topic.lag += s.lag;
    }
  }
  nodes.push(...topics.values());
  const rows = Math.max(sources, sinks, topics.size, 1);
  return { nodes, edges, height: rowY(rows) };
}

/** A smooth path from the right edge of one node to the left edge of the next (or around, between topics). */
export function edgePath(edge: LaidEdge): string {
  const mid = NODE.height / 2;
  if (edge.from.x === edge.to.x) {
    const x = edge.from.x;
    return `M${x},${edge.from.y + mid} C${x - 40},${edge.from.y + mid} ${x - 40},${edge.to.y + mid} ${x},${edge.to.y + mid}`;
  }
  const x1 = edge.from.x + NODE.width;
  const y1 = edge.from.y + mid;
  const x2 = edge.to.x;
  const y2 = edge.to.y + mid;
  const bend = (x2 - x1) / 2;
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}
