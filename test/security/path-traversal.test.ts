// Path traversal against every file protocol (local files, FTP, SFTP, SCP, the last three on real servers started
// here): each payload is tried three ways, and must be refused or end inside the configured folder; nothing may
// be written or moved anywhere else.
// - in a sink's fileName template (the pipeline author's text);
// - as the values that fill a template ({first}, {last} and {pipeline} hold the payload);
// - as the name of a file a source lists and then moves with afterRead: move (created on the server's disk where
//   the file system allows such a name; payloads with `/` or NUL cannot be names and are counted as held).
// What counts as written: every file under the server's whole state folder, and any entry named with this run's
// marker directly in /, /etc or the temp folder (where many `../` would land); a file is inside when it lies
// under the attempt's own `out/`, `in/` or `done/` folder.
import { execFileSync } from 'node:child_process';
import { type Dirent, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fileSink from '../../connectors/file/sink.js';
import { createFileSource, fileSourceConfig } from '../../connectors/file/source.js';
import { createFtpSink, ftpSinkConfig } from '../../connectors/ftp/sink.js';
import { createFtpSource, ftpSourceConfig } from '../../connectors/ftp/source.js';
import { createRemoteSink, remoteSinkConfig } from '../../connectors/sftp/remote-sink.js';
import { createRemoteSource, remoteSourceConfig } from '../../connectors/sftp/remote-source.js';
import { createEvent } from '../../core/event.js';
import type { PluginContext, PollSource, SinkInstance } from '../../core/plugin.js';
import { recordFigure } from '../harness/figures.js';
import { createTestContext } from '../harness/http-context.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';
import { TRAVERSAL_PAYLOADS } from './hostile-input.js';

const MARK = `trv${process.pid}x`;

/** A protocol's server, and its sink and source built on keys relative to an attempt's sandbox. */
interface Served {
  /** The server's whole state folder on this machine: every file it could write lies under it or escaped. */
  stateDir: string;
  /** Where a sandbox is on this machine, and how its folder is spelled in the connector's keys. */
  sandbox(name: string): { local: string; key: string };
  /** Lets the server's login user own what the test created on its disk. */
  handOver(localDir: string): void;
  sink(keys: Record<string, unknown>, ctx: PluginContext): Promise<SinkInstance> | SinkInstance;
  /** undefined: the keys are refused. */
  parseSink(keys: Record<string, unknown>): Record<string, unknown> | undefined;
  source(keys: Record<string, unknown>, ctx: PluginContext): PollSource;
  stop(): Promise<void>;
}

interface Protocol {
  name: string;
  start(): Promise<Served>;
}

function parsed(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }, keys: unknown) {
  const result = schema.safeParse(keys);
  return result.success ? (result.data as Record<string, unknown>) : undefined;
}

function chownTo(user: string, dir: string): void {
  execFileSync('chown', ['-R', `${user}:`, dir]);
}

const PROTOCOLS: Protocol[] = [
  {
    name: 'file',
    async start() {
      const stateDir = mkdtempSync(join(tmpdir(), 'sluice-traversal-'));
      const base = join(stateDir, 'a', 'b', 'c', 'base');
      mkdirSync(base, { recursive: true });
      return {
        stateDir,
        sandbox: (name) => ({ local: join(base, name), key: name }),
        handOver() {},
        parseSink: (keys) => parsed(fileSink.config, keys),
        sink: (keys, ctx) => fileSink.create(keys as never, { ...ctx, baseDir: base }) as Promise<SinkInstance>,
        source: (keys, ctx) => createFileSource(fileSourceConfig.parse(keys), { ...ctx, baseDir: base }),
        stop: async () => rmSync(stateDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'ftp',
    async start() {
      const server = await ThrowawayVsftpd.start();
      const connection = {
        host: '127.0.0.1',
        port: server.port,
        user: server.user,
        password: server.password,
        connectRetries: 0,
        timeoutMs: 10_000,
      };
      const base = 'a/b/c/base';
      mkdirSync(join(server.root, base), { recursive: true });
      chownTo(server.user, server.root);
      return {
        stateDir: server.dir,
        sandbox: (name) => ({ local: join(server.root, base, name), key: `/${base}/${name}` }),
        handOver: (dir) => chownTo(server.user, dir),
        parseSink: (keys) => parsed(ftpSinkConfig, { ...connection, ...keys }),
        sink: (keys, ctx) => createFtpSink(keys as never, ctx),
        source: (keys, ctx) => createFtpSource(ftpSourceConfig.parse({ ...connection, ...keys }), ctx),
        stop: () => server.stop(),
      };
    },
  },
  ...(['sftp', 'scp'] as const).map(
    (protocol): Protocol => ({
      name: protocol,
      async start() {
        const server = await ThrowawaySshd.start();
        const connection = {
          host: '127.0.0.1',
          port: server.port,
          user: SSH_USER,
          privateKey: server.clientKeyPath,
          knownHosts: server.knownHostsPath,
          timeoutMs: 10_000,
        };
        const base = join(server.dataDir, 'a', 'b', 'c', 'base');
        mkdirSync(base, { recursive: true });
        chownTo(SSH_USER, server.dataDir);
        return {
          stateDir: server.dir,
          sandbox: (name) => ({ local: join(base, name), key: join(base, name) }),
          handOver: (dir) => chownTo(SSH_USER, dir),
          parseSink: (keys) => parsed(remoteSinkConfig, { ...connection, ...keys }),
          sink: (keys, ctx) => createRemoteSink(protocol, keys as never, { ...ctx, baseDir: server.dir }),
          source: (keys, ctx) =>
            createRemoteSource(protocol, remoteSourceConfig.parse({ ...connection, ...keys }), {
              ...ctx,
              baseDir: server.dir,
            }),
          stop: () => server.destroy(),
        };
      },
    }),
  ),
];

function listFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((d) => (d.isDirectory() ? listFiles(join(dir, d.name)) : [join(dir, d.name)]));
}

/** Entries named with this run's marker where `../` repeated would land. */
function markedOutside(): string[] {
  return [...new Set(['/', '/etc', tmpdir(), dirname(tmpdir())])].flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => n.includes(MARK))
      .map((n) => join(dir, n)),
  );
}

/** Files that appeared since `before` and lie outside every allowed folder. */
function escapedFiles(stateDir: string, before: Set<string>, allowed: string[]): string[] {
  const isInside = (path: string) => allowed.some((dir) => path.startsWith(`${dir}/`));
  return [...listFiles(stateDir).filter((p) => !before.has(p) && !isInside(p)), ...markedOutside()];
}

const event = (id: string, value: unknown = 'x') => ({ ...createEvent({ value }), id });

/** Runs one payload; returns the folders files may land in. */
type Attempt = (payload: string, served: Served, sandbox: { local: string; key: string }) => Promise<string[]>;

async function writeQuietly(sink: SinkInstance, batch: ReturnType<typeof event>[]): Promise<void> {
  try {
    await sink.write(batch);
  } catch {
    // A write refused at run time is held too, as long as nothing landed outside.
  } finally {
    await sink.close?.();
  }
}

const WAYS: Array<{ name: string; attempt: Attempt }> = [
  {
    name: 'fileName template',
    async attempt(payload, served, sandbox) {
      const keys = served.parseSink({ directory: `${sandbox.key}/out`, fileName: `${payload}${MARK}{first}` });
      if (keys === undefined) return [];
      await writeQuietly(await served.sink(keys, createTestContext()), [event('1-1-0')]);
      return [join(sandbox.local, 'out')];
    },
  },
  {
    name: 'template values',
    async attempt(payload, served, sandbox) {
      const allowed = [join(sandbox.local, 'out')];
      for (const fileName of ['{first}', `${MARK}{first}`, `{pipeline}-{last}${MARK}`]) {
        const keys = served.parseSink({ directory: `${sandbox.key}/out`, fileName });
        if (keys === undefined) throw new Error(`fileName ${fileName} should be accepted`);
        const sink = await served.sink(keys, createTestContext({ pipeline: payload }));
        await writeQuietly(sink, [event(payload), event(`${payload}${MARK}`)]);
      }
      return allowed;
    },
  },
  {
    name: 'listed file name, moved after read',
    async attempt(payload, served, sandbox) {
      const inFolder = join(sandbox.local, 'in');
      mkdirSync(inFolder, { recursive: true });
      // A `/` or NUL cannot be in a file name, so no server can list such a name.
      if (!/[/\0]/.test(payload)) {
        try {
          writeFileSync(`${inFolder}/${payload}`, '"x"\n');
        } catch {
          // `.` and `..` name folders that exist already.
        }
      }
      served.handOver(sandbox.local);
      const source = served.source(
        {
          directory: `${sandbox.key}/in`,
          pattern: '**',
          stableMs: 0,
          format: 'lines',
          afterRead: 'move',
          moveTo: `${sandbox.key}/done/{date}`,
        },
        createTestContext(),
      );
      try {
        const first = await source.poll(undefined);
        await source.poll(first.checkpoint);
      } catch {
        // A name the protocol cannot carry may fail the poll; held as long as nothing moved outside.
      } finally {
        await source.close?.();
      }
      return [inFolder, join(sandbox.local, 'done')];
    },
  },
];

describe.each(PROTOCOLS)('path traversal: $name', (protocol) => {
  let served: Served;
  beforeAll(async () => {
    served = await protocol.start();
  }, 60_000);
  afterAll(async () => {
    await served?.stop();
  }, 60_000);

  for (const way of WAYS) {
    it(`${TRAVERSAL_PAYLOADS.length} payloads in the ${way.name} are refused or stay inside the folder`, async () => {
      const escaped: string[] = [];
      let landed = 0;
      for (const [i, payload] of TRAVERSAL_PAYLOADS.entries()) {
        const sandbox = served.sandbox(`${way.name.replace(/\W+/g, '-')}-${i}`);
        mkdirSync(sandbox.local, { recursive: true });
        served.handOver(sandbox.local);
        const before = new Set(listFiles(served.stateDir));
        const allowed = await way.attempt(payload, served, sandbox);
        const outside = escapedFiles(served.stateDir, before, allowed);
        if (listFiles(sandbox.local).some((p) => allowed.some((dir) => p.startsWith(`${dir}/`) && !/\/in\//.test(p)))) {
          landed += 1;
        }
        if (outside.length > 0) escaped.push(`${JSON.stringify(payload)} → ${outside.join(', ')}`);
        for (const path of markedOutside()) rmSync(path, { recursive: true, force: true });
      }
      recordFigure({
        suite: 'security',
        case: `path traversal: ${protocol.name}, ${way.name}`,
        tries: TRAVERSAL_PAYLOADS.length,
        held: TRAVERSAL_PAYLOADS.length - escaped.length,
        note: `${landed} written or moved inside the folder, the rest refused`,
      });
      // Not vacuous: payloads that are not refused end as a file inside the folder (sinks write, sources move).
      expect(landed).toBeGreaterThan(0);
      expect(TRAVERSAL_PAYLOADS.length).toBeGreaterThanOrEqual(40);
      expect(escaped).toEqual([]);
    }, 300_000);
  }
});
