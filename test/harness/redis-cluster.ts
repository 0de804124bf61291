// A throwaway Redis Cluster of three masters (no replicas) on free loopback ports, built with
// `redis-cli --cluster create`, for tests that need keys spread over several servers.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './loopback.js';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);

export class RedisCluster {
  private adminClient?: Cluster;

  private constructor(readonly servers: RedisServer[]) {}

  /**
   * Starts `masters` servers, joins them into one cluster and waits until every node reports `cluster_state:ok`
   * and the admin client is connected.
   */
  static async start(masters = 3): Promise<RedisCluster> {
    const servers: RedisServer[] = [];
    const cluster = new RedisCluster(servers);
    try {
      for (let i = 0; i < masters; i++) {
        // The cluster bus gets a free port of its own (by default it would be port + 10000, maybe taken).
        // biome-ignore format: one option per line reads better
        servers.push(await RedisServer.start({ args: [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-port', String(await freePort()),
          '--cluster-node-timeout', '3000',
          '--maxmemory-policy', 'noeviction',
        ] }));
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...servers.map((s) => `127.0.0.1:${s.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await cluster.waitUntilOk(30_000);
      await cluster.admin.ping();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get nodes(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** A client of the test's own, for inspecting and cleaning up; closed by `stop()`. */
  get admin(): Cluster {
    this.adminClient ??= new Cluster(this.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    return this.adminClient;
  }

  private async waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const server of this.servers) {
      const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      try {
        for (;;) {
          const info = await client.cluster('INFO');
          if (/^cluster_state:ok/m.test(info)) break;
          if (Date.now() > deadline) throw new Error(`Redis Cluster node ${server.port} is not ok:\n${info}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        client.disconnect();
      }
    }
  }

  /** Closes the admin client, stops every node (SIGTERM) and deletes their data folders. */
  async stop(): Promise<void> {
    this.adminClient?.disconnect();
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

/** Deletes every key under `<prefix>:` on every master, one key at a time (a multi-key DEL may cross slots). */
export async function deleteClusterKeysWithPrefix(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}
