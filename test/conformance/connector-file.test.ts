import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileSystem } from '../../connectors/file/local-file-system.js';
import { createFileSink, fileSinkConfig } from '../../connectors/file/sink.js';
import { createFileSource, fileSourceConfig } from '../../connectors/file/source.js';
import { describeConnectorConformance } from './connector.js';
import { testPluginContext } from './plugin-context.js';

describeConnectorConformance('local files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sluice-conformance-file-'));
  const ctx = testPluginContext({ baseDir: root });
  return {
    capabilities: { atomicRename: true, append: true, readFromOffset: true },
    fileSystem: async () => new LocalFileSystem(root),
    keyPath: (folder) => join(root, folder),
    source: async (keys) => createFileSource(fileSourceConfig.parse(keys), ctx),
    sink: async (keys) => createFileSink(fileSinkConfig.parse(keys), ctx),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
