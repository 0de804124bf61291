// Bench child: reads one file from an FTP server with the ftp source, line by line, poll after poll as the
// runtime does, counting the events (and storing them in a topic, embedded or in Redis, as `into` says), and
// prints its peak memory. Argument: {host, port, user, password, directory, batchSize, into}.
import { createFtpSource, ftpSourceConfig } from '../../connectors/ftp/source.js';
import { benchSourceContext, drainSource, type TopicKind } from './drain-source.js';

const { into, ...spec } = JSON.parse(process.argv[2] as string) as { into: TopicKind } & Record<string, unknown>;
await drainSource(
  createFtpSource(ftpSourceConfig.parse({ ...spec, format: 'lines', stableMs: 0 }), benchSourceContext),
  into,
);
