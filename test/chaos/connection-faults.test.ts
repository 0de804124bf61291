// Connections cut and stalled mid-transfer: a TCP proxy (test/harness/tcp-proxy.ts) sits between the workers and
// each destination's real server. During a run it cuts the next connection halfway through a chunk, resets every
// open connection, and holds every byte for a while (longer than the sink's own timeouts where it has them).
// Every call must settle, nothing partial may become visible, nothing may be lost and nothing written twice
// beyond a destination's stated bound. One entry per destination: a connector joins the table with its server,
// its sink YAML and a way to count what its destination holds.
// The file sinks (FTP, SFTP, SCP) write one file per batch named by its first and last id, under a temporary name
// then renamed: a redelivered batch replaces its own file. FTP goes through the proxy on the control connection
// and on every passive data connection (the proxy rewrites the passive replies, so plain FTP: FTPS would hide
// them); SFTP and SCP run over one SSH connection each.
// The file sources (FTP, SFTP, SCP) read one large NDJSON file through the proxy, a poll at a time, into a topic
// delivered to an HTTP receiver: the checkpoint is stored with the events, so a poll cut short is read again at
// most (duplicates ≤ one poll per fault), and nothing is missing.
import { chownSync as chownFs, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { countSequences, deliveryReport, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { SequenceReceiver } from '../harness/sequence-receiver.js';
import { createTestDatabase } from '../harness/sql-databases.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker } from './sequence-pipeline.js';

/** A destination's real server, reached by the sink through the proxy. */
interface Destination {
  /** The server's own port, which the proxy forwards to. */
  port: number;
  /** The `sinks:` YAML that reaches the server through `proxyPort`. */
  sinks(proxyPort: number): string;
  /** How often each sequence number is visible at the destination now. */
  delivered(): Promise<Map<number, number>>;
  /** Files seen so far under a final name with partial content (file destinations). */
  partial?: Set<string>;
  stop(): Promise<void>;
}

interface ProxiedConnector {
  name: string;
  /** The proxy carries FTP passive data connections too. */
  isFtp?: boolean;
  /** Most extra copies each fault may leave at the destination (default 0). */
  duplicatesPerFault?: number;
  start(): Promise<Destination>;
}

const BATCH = 200;

/**
 * What a folder of NDJSON files (one per batch) holds, read from the server's disk: each sequence number's count,
 * and into `partial` every file under a final name (not a hidden temporary) whose content is cut short.
 */
function folderDelivery(folder: string, partial: Set<string>): Map<number, number> {
  const counts = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => !n.startsWith('.'));
  } catch {
    return counts;
  }
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(folder, name), 'utf8');
    } catch {
      continue; // replaced by a redelivered batch between the listing and the read
    }
    const lines = text.split('\n');
    if (lines.pop() !== '') partial.add(name);
    try {
      countSequences(
        lines.map((line) => (JSON.parse(line) as { value: { seq: number } }).value.seq),
        counts,
      );
    } catch {
      partial.add(name);
    }
  }
  return counts;
}

function fileDestination(port: number, sinks: Destination['sinks'], folder: string, stop: () => Promise<void>) {
  const partial = new Set<string>();
  return { port, sinks, partial, delivered: async () => folderDelivery(folder, partial), stop };
}

const RETRY = 'retry: { attempts: 1000, baseMs: 100, capMs: 2000 }';
// The file connectors' own timeout: generous, because on a loaded machine sshd and vsftpd can take seconds to fork
// a session or start a command; the full-size stall (10 s) still outlasts it.
const FILE_TIMEOUT_MS = 10_000;

const CONNECTORS: ProxiedConnector[] = [
  {
    name: 'http sink',
    async start() {
      const receiver = await SequenceReceiver.start();
      return {
        port: receiver.port,
        sinks: (proxyPort) => `      - type: http
        url: http://127.0.0.1:${proxyPort}/in
        timeouts: { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 5000 }
        batch: { maxEvents: 200 }
        ${RETRY}
`,
        delivered: async () => receiver.counts,
        stop: () => receiver.close(),
      };
    },
  },
  {
    name: 'sql sink (PostgreSQL)',
    async start() {
      const db = await createTestDatabase('pg', 'sluice_chaos');
      await db.knex.schema.createTable('seqs', (t) => {
        t.bigInteger('seq');
      });
      const port = Number(new URL(db.url).port);
      return {
        port,
        sinks: (proxyPort) => {
          const url = new URL(db.url);
          url.port = String(proxyPort);
          return `      - type: sql
        client: pg
        connection: "${url}"
        table: seqs
        batch: { maxEvents: 200 }
        ${RETRY}
`;
        },
        async delivered() {
          const rows = (await db.knex('seqs').select('seq')) as Array<{ seq: string }>;
          return countSequences(rows.map((r) => Number(r.seq)));
        },
        stop: () => db.drop(),
      };
    },
  },
  {
    name: 'ftp sink',
    isFtp: true,
    duplicatesPerFault: BATCH,
    async start() {
      const server = await ThrowawayVsftpd.start();
      return fileDestination(
        server.port,
        (proxyPort) => `      - type: ftp
        host: 127.0.0.1
        port: ${proxyPort}
        user: ${server.user}
        password: ${server.password}
        directory: /out
        timeoutMs: ${FILE_TIMEOUT_MS}
        connectRetries: 0
        batch: { maxEvents: ${BATCH} }
        ${RETRY}
`,
        join(server.root, 'out'),
        () => server.stop(),
      );
    },
  },
  ...(['sftp', 'scp'] as const).map(
    (protocol): ProxiedConnector => ({
      name: `${protocol} sink`,
      duplicatesPerFault: BATCH,
      async start() {
        const server = await ThrowawaySshd.start();
        return fileDestination(
          server.port,
          (proxyPort) => `      - type: ${protocol}
        host: 127.0.0.1
        port: ${proxyPort}
        user: ${SSH_USER}
        privateKey: ${server.clientKeyPath}
        hostKeys: ["${server.hostKeyFingerprint}"]
        directory: ${server.dataDir}/out
        timeoutMs: ${FILE_TIMEOUT_MS}
        batch: { maxEvents: ${BATCH} }
        ${RETRY}
`,
          join(server.dataDir, 'out'),
          () => server.destroy(),
        );
      },
    }),
  ),
];

const FULL = suiteSize() === 'full';
const TOTAL = FULL ? 20_000 : 6_000;
const MID_TRANSFER_CUTS = FULL ? 5 : 2;
const CUT_ALLS = FULL ? 3 : 1;
const STALL_MS = FULL ? 10_000 : 3_000;

afterAll(deletePipelineKeys);

/**
 * The faults every entry gets, once a tenth of `total` has arrived: cuts halfway through a chunk, then resets of
 * every connection, each followed by progress, and a stall near the end. Returns the faults injected and the time
 * from the end of the stall until all `total` arrived (undefined: never). A fault that finds no traffic (a
 * source that finished reading) is not injected.
 */
async function injectFaults(
  proxy: TcpProxy,
  seen: () => Promise<number>,
  total: number,
  name: string,
): Promise<{ faults: number; recoverMs: number | undefined }> {
  const isComplete = async () => (await seen()) >= total;
  let faults = 0;
  const afterProgress = async () => {
    const now = await seen();
    await waitFor(async () => (await seen()) > now || (await isComplete()), 120_000, `${name}: progress after a fault`);
  };
  await waitFor(async () => (await seen()) > total * 0.1, 120_000, `${name}: a tenth of the events`);
  for (let i = 0; i < MID_TRANSFER_CUTS; i++) {
    let hasCut = false;
    void proxy.cutMidTransfer().then(() => {
      hasCut = true;
    });
    if (!(await waitUntil(async () => hasCut || (await isComplete()), 240_000)) || !hasCut) break;
    faults += 1;
    await afterProgress();
  }
  for (let i = 0; i < CUT_ALLS && !(await isComplete()); i++) {
    proxy.cut();
    faults += 1;
    await afterProgress();
  }
  // The stall comes last, near the end, so the time to recover is the stall's own.
  await waitFor(async () => (await seen()) > total * 0.9, 240_000, `${name}: nine tenths of the events`);
  if (!(await isComplete())) {
    proxy.stall();
    await new Promise((r) => setTimeout(r, STALL_MS));
    proxy.resume();
    faults += 1;
  }
  const clearedAt = Date.now();
  const hasAll = await waitUntil(isComplete, 240_000);
  return { faults, recoverMs: hasAll ? Date.now() - clearedAt : undefined };
}

describe.each(CONNECTORS)('connections of the $name cut and stalled mid-transfer', (connector) => {
  it('settles every call and delivers every event, nothing partial and duplicates within the bound', async () => {
    const destination = await connector.start();
    const proxy = await TcpProxy.start(destination.port, { ftp: connector.isFtp ?? false });
    try {
      const pipeline = sequencePipeline({
        redisUrl: TEST_REDIS_URL,
        total: TOTAL,
        rate: TOTAL / 20,
        sinks: destination.sinks(proxy.port),
      });
      const worker = await startWorker(pipeline, 'a');
      const seen = async () => (await destination.delivered()).size;
      const { faults, recoverMs } = await injectFaults(proxy, seen, TOTAL, connector.name);
      await new Promise((r) => setTimeout(r, 3000));
      const report = deliveryReport(await destination.delivered(), TOTAL);
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      const maxDuplicates = faults * (connector.duplicatesPerFault ?? 0);
      const partial = [...(destination.partial ?? [])];
      const isHeld =
        report.missing === 0 && report.duplicates <= maxDuplicates && partial.length === 0 && exit.code === 0;
      recordChaosRow({
        case: `TCP cut/stall: ${connector.name}`,
        tries: faults,
        held: isHeld ? faults : 0,
        report,
        recoverMs,
        ...(connector.isFtp ? { note: `${proxy.dataConnections} data connections proxied` } : {}),
      });
      expect(report.missing).toBe(0);
      expect(report.duplicates).toBeLessThanOrEqual(maxDuplicates);
      expect(partial).toEqual([]);
      expect(exit.code).toBe(0);
    } finally {
      await proxy.close();
      await destination.stop();
    }
  }, 600_000);
});

/** A file source's real server, with the sequence file in place, read by the source through the proxy. */
interface SourceServer {
  port: number;
  /** The `source:` YAML flow mapping that reads the file through `proxyPort`. */
  source(proxyPort: number): string;
  stop(): Promise<void>;
}

interface ProxiedSource {
  name: string;
  isFtp?: boolean;
  /** Starts the server with `text` as `in/seq.ndjson` in the folder the source reads. */
  start(text: string): Promise<SourceServer>;
}

const POLL = 200;
const SOURCE_TOTAL = FULL ? 60_000 : 20_000;
/** The least time the source takes to read the file through the paced proxy. */
const SOURCE_READ_MS = FULL ? 20_000 : 8_000;
const SOURCE_KEYS = `stableMs: 0, batchSize: ${POLL}, timeoutMs: ${FILE_TIMEOUT_MS}, intervalMs: 200`;

const SOURCES: ProxiedSource[] = [
  {
    name: 'ftp source',
    isFtp: true,
    async start(text) {
      const server = await ThrowawayVsftpd.start();
      mkdirSync(join(server.root, 'in'));
      writeFileSync(join(server.root, 'in', 'seq.ndjson'), text);
      chownSync(join(server.root, 'in'), server.root);
      return {
        port: server.port,
        source: (proxyPort) =>
          `{ type: ftp, host: 127.0.0.1, port: ${proxyPort}, user: ${server.user}, password: ${server.password}, directory: /in, connectRetries: 0, ${SOURCE_KEYS} }`,
        stop: () => server.stop(),
      };
    },
  },
  ...(['sftp', 'scp'] as const).map(
    (protocol): ProxiedSource => ({
      name: `${protocol} source`,
      async start(text) {
        const server = await ThrowawaySshd.start();
        mkdirSync(join(server.dataDir, 'in'));
        writeFileSync(join(server.dataDir, 'in', 'seq.ndjson'), text);
        chownSync(join(server.dataDir, 'in'), server.dataDir);
        return {
          port: server.port,
          source: (proxyPort) =>
            `{ type: ${protocol}, host: 127.0.0.1, port: ${proxyPort}, user: ${SSH_USER}, privateKey: "${server.clientKeyPath}", hostKeys: ["${server.hostKeyFingerprint}"], directory: "${server.dataDir}/in", ${SOURCE_KEYS} }`,
          stop: () => server.destroy(),
        };
      },
    }),
  ),
];

/** Gives `dir` and what is in it to the owner of `like` (the server's login user). */
function chownSync(dir: string, like: string): void {
  const { uid, gid } = statSync(like);
  chownFs(dir, uid, gid);
  for (const name of readdirSync(dir)) chownFs(join(dir, name), uid, gid);
}

describe.each(SOURCES)('connections of the $name cut and stalled mid-read', (connector) => {
  it('settles every call and stores every line, duplicates within one poll per fault', async () => {
    const text = Array.from({ length: SOURCE_TOTAL }, (_, i) => `{"seq":${i + 1}}\n`).join('');
    const server = await connector.start(text);
    // Paced, the file takes at least SOURCE_READ_MS to read however fast the machine is: the faults come while the
    // source reads, not after it has read everything (as happened on a busy machine, where no fault could be made).
    const proxy = await TcpProxy.start(server.port, {
      ftp: connector.isFtp ?? false,
      bytesPerSecond: Math.ceil((text.length * 1000) / SOURCE_READ_MS),
    });
    const receiver = await SequenceReceiver.start();
    try {
      const pipeline = sequencePipeline({
        redisUrl: TEST_REDIS_URL,
        source: server.source(proxy.port),
        sinks: `      - type: http
        url: ${receiver.url}
        batch: { maxEvents: 500 }
        ${RETRY}
`,
      });
      const worker = await startWorker(pipeline, 'a');
      const seen = async () => receiver.counts.size;
      const { faults, recoverMs } = await injectFaults(proxy, seen, SOURCE_TOTAL, connector.name);
      await new Promise((r) => setTimeout(r, 3000));
      const report = deliveryReport(receiver.counts, SOURCE_TOTAL);
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      const maxDuplicates = faults * POLL;
      const isHeld = report.missing === 0 && report.duplicates <= maxDuplicates && exit.code === 0;
      recordChaosRow({
        case: `TCP cut/stall: ${connector.name}`,
        tries: faults,
        held: isHeld ? faults : 0,
        report,
        recoverMs,
        ...(connector.isFtp ? { note: `${proxy.dataConnections} data connections proxied` } : {}),
      });
      expect(faults).toBeGreaterThan(0);
      expect(report.missing).toBe(0);
      expect(report.duplicates).toBeLessThanOrEqual(maxDuplicates);
      expect(exit.code).toBe(0);
    } finally {
      await proxy.close();
      await receiver.close();
      await server.stop();
    }
  }, 600_000);
});
