// `GET /api/tap/:pipeline?stage=…&sample=…&limit=…`: a live sample of a pipeline's events at one stage, as
// server-sent events, one event per `data:` line, secrets masked. The `topic` stage follows the stored topic
// (whichever process ingests); the other stages are taps inside this process, so they show what its own
// workers process. No subscription is created; closing the connection ends the tap.
import type { PipelineSpec } from '../config/pipeline-spec.js';
import type { Redactor } from '../config/redactor.js';
import { type SluiceEvent, valueToJson } from '../event.js';
import { type Taps, tapStage, tapStages } from '../runtime/tap.js';
import type { Storage } from '../storage/storage.js';
import type { AdminReply, AdminRequest, AdminRoute } from './admin-route.js';
import { tailTopic } from './topic-tail.js';

export interface TapDeps {
  taps: Taps;
  storage: Storage;
  /** The pipelines this process runs. */
  pipelines(): readonly PipelineSpec[];
  redactor: Redactor;
}

export function tapRoutes(deps: TapDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/tap',
      summary: 'The stages each pipeline of this process can be tapped at, for a client to offer.',
      handle: async () => ({
        status: 200,
        body: { pipelines: deps.pipelines().map((spec) => ({ name: spec.name, stages: tapStages(spec) })) },
      }),
    },
    {
      method: 'GET',
      path: '/api/tap/:pipeline',
      summary:
        'Stream a live sample of events at a stage (topic, processor:<i>, sink:<name>, sink:<name>:processor:<i>) as server-sent events; sample=0..1, limit=n.',
      handle: (req) => tap(deps, req),
    },
  ];
}

interface TapRequest {
  spec: PipelineSpec;
  stage: string;
  sample: number;
  limit: number;
}

function parse(deps: TapDeps, req: AdminRequest): TapRequest | AdminReply {
  const spec = deps.pipelines().find((p) => p.name === req.params.pipeline);
  if (!spec) return { status: 404, body: { error: `no pipeline "${req.params.pipeline}" runs here` } };
  const stage = req.query.get('stage') ?? tapStage.topic;
  const stages = tapStages(spec);
  if (!stages.includes(stage)) {
    return { status: 400, body: { error: `pipeline "${spec.name}" has no stage "${stage}"`, stages } };
  }
  const sample = Number(req.query.get('sample') ?? 1);
  if (!(sample > 0 && sample <= 1))
    return { status: 400, body: { error: 'sample is the share of events to show, above 0 and at most 1' } };
  const limitText = req.query.get('limit');
  const limit = limitText === null ? Number.POSITIVE_INFINITY : Number(limitText);
  if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 1)
    return { status: 400, body: { error: 'limit is a whole number of events, at least 1' } };
  return { spec, stage, sample, limit };
}

async function tap(deps: TapDeps, req: AdminRequest): Promise<AdminReply | undefined> {
  const parsed = parse(deps, req);
  if ('status' in parsed) return parsed;
  const { spec, stage, sample, limit } = parsed;
  const { req: raw, res } = req.raw;
  const stop = new AbortController();
  raw.on('close', () => stop.abort());
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // A comment line first, so a client knows the tap is listening before it sends anything through the pipeline.
  res.write(`: tapping ${spec.name} at ${stage}\n\n`);
  let sent = 0;
  const send = (events: readonly SluiceEvent[]) => {
    for (const event of events) {
      if (stop.signal.aborted) return;
      if (sample < 1 && Math.random() >= sample) continue;
      // Named first so the fields keep their usual order whatever order the event object holds them in.
      const { key, value, ...rest } = event;
      const shown = { stage, key, value: valueToJson(value), ...rest };
      res.write(`data: ${deps.redactor.text(JSON.stringify(shown))}\n\n`);
      if (++sent >= limit) stop.abort();
    }
  };
  if (stage === tapStage.topic) {
    await tailTopic(deps.storage, spec.topic, stop.signal, send).catch((err: unknown) => {
      res.write(`event: error\ndata: ${JSON.stringify({ error: deps.redactor.text(String(err)) })}\n\n`);
    });
  } else {
    const unlisten = deps.taps.listen(spec.name, stage, send);
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    unlisten();
  }
  res.end();
  return undefined;
}
