// Bench child: reads one file from an SSH server with the sftp or scp source, line by line, poll after poll as
// the runtime does, counting the events (and storing them in a topic with `intoTopic`), and prints its peak
// memory. Argument: {protocol, intoTopic, host, port, user, privateKey, knownHosts, directory, batchSize}.
import scpSource from '../../connectors/sftp/scp-source.js';
import sftpSource from '../../connectors/sftp/source.js';
import { isPollSource } from '../../core/plugin.js';
import { benchSourceContext, drainSource } from './drain-source.js';

const { protocol, intoTopic, ...spec } = JSON.parse(process.argv[2] as string) as {
  protocol: 'sftp' | 'scp';
  intoTopic: boolean;
} & Record<string, unknown>;
const plugin = protocol === 'scp' ? scpSource : sftpSource;
const source = await plugin.create(plugin.config.parse({ ...spec, format: 'lines', stableMs: 0 }), benchSourceContext);
if (!isPollSource(source)) throw new Error(`the ${protocol} source is expected to poll`);
await drainSource(source, intoTopic ? 'embedded' : 'none');
