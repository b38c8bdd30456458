// createAgentMemory({ client }): the caller's node-redis client or cluster, of node-redis 6 and 5,
// against Redis 8 and the cluster. Sessions, caches and long-term memory work through it; deadlines,
// typed errors and scripts by SHA hold; close() leaves it open; what it cannot be is refused.
import { createClient as createClientV6, createCluster as createClusterV6, RESP_TYPES } from '@redis/client';
import { createClient as createClientV5, createCluster as createClusterV5 } from 'node-redis-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/local-redis.js';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { AgentMemoryError, InvalidArgumentError, RedisCommandError, TimeoutError } from '../../src/errors.js';
import type { NodeRedisClientLike } from '../../src/connection/connect.js';
import { connectTo, deletePrefix, harness, targetsWithCluster, uniquePrefix, type RedisTarget } from '../harness/index.js';

type Major = 'v6' | 'v5';
/** Whatever a test needs of a user's client, for either major and either kind. */
interface UserClient extends NodeRedisClientLike {
  close(): Promise<void>;
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

// Maps as Map and every bulk string as a Buffer: what the library parses must not see this.
const ODD_TYPES = { [RESP_TYPES.MAP]: Map, [RESP_TYPES.BLOB_STRING]: Buffer } as const;

function userClient(major: Major, target: RedisTarget, extra: Record<string, unknown> = {}): UserClient {
  const options = { RESP: 3 as const, ...extra };
  if (target.nodes) {
    const rootNodes = target.nodes.map((n) => ({ socket: { host: n.host, port: n.port } }));
    const make = (major === 'v6' ? createClusterV6 : createClusterV5) as (options: never) => unknown;
    return make({ rootNodes, ...options } as never) as UserClient;
  }
  const make = (major === 'v6' ? createClientV6 : createClientV5) as (options: never) => unknown;
  return make({ url: target.url, ...options } as never) as UserClient;
}

/** PING through the user's own client, as their code would. */
const ping = (client: UserClient, cluster: boolean): Promise<unknown> =>
  cluster ? client.sendCommand(undefined, true, ['PING']) : client.sendCommand(['PING']);

const used = targetsWithCluster().filter((t) => t.name === 'redis8' || t.name === 'cluster' || t.name === 'external');
const majors: Major[] = ['v6', 'v5'];

for (const major of majors) {
  for (const target of used) {
    const cluster = target.nodes !== undefined;
    describe(`createAgentMemory({ client }): node-redis ${major.slice(1)} on ${target.name}`, () => {
      let client: UserClient;
      let memory: AgentMemory;
      let prefix: string;
      const alice = { tenant: 'acme', userId: 'alice' };

      beforeAll(async () => {
        prefix = uniquePrefix('oc');
        client = userClient(major, target);
        // Not opened here: the library opens a client that is not open yet, and still leaves it to us.
        memory = await createAgentMemory({ client, prefix, clientOptions: { commandTimeoutMs: 2000 } });
      });
      afterAll(async () => {
        await memory?.close();
        if (client?.isOpen) {
          const admin = await connectTo(target);
          await deletePrefix(admin, prefix);
          await admin.close();
          await client.close();
        }
      });

      it('opens the client, says it is adopted, and serves sessions, caches and long-term memory', async () => {
        expect(client.isOpen).toBe(true);
        expect(memory.connection.adopted).toBe(true);
        expect(memory.connection.mode).toBe(cluster ? 'cluster' : 'single');
        expect(memory.connection.endpoint).toMatch(/^redis:\/\/[^/@]+:\d+$/);

        const chat = memory.sessions.session({ ...alice, sessionId: 's1' });
        await chat.append([
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: 'hi alice' },
        ]);
        expect((await chat.messages()).map((m) => m.content)).toEqual(['hello', 'hi alice']);

        const answers = memory.cache({ name: 'answers' });
        let computed = 0;
        const compute = () => ({ answer: 42, computed: ++computed });
        expect(await answers.getOrCompute('q', compute)).toEqual({ answer: 42, computed: 1 });
        expect(await answers.getOrCompute('q', compute)).toEqual({ answer: 42, computed: 1 });

        const facts = await memory.longTerm({ embedder: new HashingEmbeddings(64), engine: 'vectorset' });
        await facts.remember(alice, { text: 'alice prefers window seats on flights', tags: ['travel'] });
        await facts.remember(alice, { text: 'alice is allergic to peanuts' });
        const [top] = await facts.recall(alice, 'which seats on flights?', { k: 1 });
        expect(top).toMatchObject({ text: 'alice prefers window seats on flights', tags: ['travel'] });
        expect(await facts.count(alice)).toBe(2);
      });

      it('runs scripts by SHA, and again after SCRIPT FLUSH (EVAL once on NOSCRIPT)', async () => {
        const chat = memory.sessions.session({ ...alice, sessionId: 'flushed' });
        await chat.append({ role: 'user', content: 'before' });
        const admin = await connectTo(target);
        try {
          const flushAll = async () => {
            if (!target.nodes) return void (await admin.send(['SCRIPT', 'FLUSH']));
            const nodes = await Promise.all(
              target.nodes.map((n) => connectTo({ name: 'node', url: `redis://${n.host}:${n.port}`, version: null })),
            );
            await Promise.all(
              nodes.map(async (n) => {
                await n.send(['SCRIPT', 'FLUSH']);
                await n.close();
              }),
            );
          };
          await flushAll();
          await chat.append({ role: 'user', content: 'after' });
          expect((await chat.messages()).map((m) => m.content)).toEqual(['before', 'after']);
        } finally {
          await admin.close();
        }
      });

      it('fails with typed errors: a rejected command, and rotateSecret on a client that is yours', async () => {
        const rejected = await memory.connection.send(['NO-SUCH-COMMAND'], { key: 'x' }).catch((e: unknown) => e);
        expect(rejected).toBeInstanceOf(RedisCommandError);
        expect(rejected).toMatchObject({ code: 'REDIS_ERROR' });
        // node-redis 5's error replies are its own class: recognised all the same
        expect((rejected as Error).message).toMatch(/^Redis rejected NO-SUCH-COMMAND: ERR unknown command/);
        const rotate = await memory.connection.rotateSecret('new-secret').catch((e: unknown) => e);
        expect(rotate).toBeInstanceOf(InvalidArgumentError);
        expect((rotate as Error).message).toContain("the client's credentials are yours");
        const invalid = await (async () =>
          memory.sessions.session({ ...alice, sessionId: '' }).append({ role: 'user', content: 'x' }))().catch((e: unknown) => e);
        expect(invalid).toBeInstanceOf(AgentMemoryError);
        expect(invalid).toMatchObject({ code: 'INVALID_ARGUMENT' });
      });

      it('a near cache subscribes on a duplicate the library owns; close() ends that and leaves the client open', async () => {
        const own = await createAgentMemory({ client, prefix });
        const near = own.cache({ name: 'near', nearCache: { maxEntries: 10, ttlSeconds: 60 } });
        await near.set('k', 'v');
        expect(await near.get('k')).toBe('v');
        await own.close();
        expect(client.isOpen).toBe(true);
        expect(await ping(client, cluster)).toBe('PONG');
        // The memory made in beforeAll still works on the same client.
        expect(await memory.sessions.session({ ...alice, sessionId: 's1' }).count()).toBe(2);
      });

      it('gives the library its own reply types whatever typeMapping the client has', async () => {
        const odd = userClient(major, target, { commandOptions: { typeMapping: ODD_TYPES } });
        const oddMemory = await createAgentMemory({ client: odd, prefix });
        try {
          const chat = oddMemory.sessions.session({ ...alice, sessionId: 's1' });
          expect(await chat.messages()).toEqual(await memory.sessions.session({ ...alice, sessionId: 's1' }).messages());
          // (info() apart from the sliding deadline, which each read moves)
          const info = async (m: AgentMemory) => ({ ...(await m.sessions.session({ ...alice, sessionId: 's1' }).info()), ttl: undefined });
          expect(await info(oddMemory)).toEqual(await info(memory));
          expect(await oddMemory.cache({ name: 'answers' }).getOrCompute('q', () => ({ answer: 0 }))).toEqual({ answer: 42, computed: 1 });
          const facts = await oddMemory.longTerm({ embedder: new HashingEmbeddings(64), engine: 'vectorset' });
          const [top] = await facts.recall(alice, 'which seats on flights?', { k: 1 });
          expect(top).toMatchObject({ text: 'alice prefers window seats on flights', tags: ['travel'] });
          const key = `${prefix}:{tx}:k`;
          const hash = `${prefix}:{tx}:h`;
          expect(
            await oddMemory.connection.transaction(
              [
                ['SET', key, 'v'],
                ['GET', key],
                ['HSET', hash, 'f', '1'],
                ['HGETALL', hash],
              ],
              key,
            ),
          ).toEqual(['OK', 'v', 1, { f: '1' }]);
          const scanned: string[] = [];
          for await (const keys of oddMemory.connection.scan(`${prefix}:{tx}:*`)) scanned.push(...keys);
          expect(scanned.sort()).toEqual([hash, key].sort());
          expect(await oddMemory.capabilities()).toMatchObject({ vectorSets: true });
        } finally {
          await oddMemory.close();
          await odd.close();
        }
      });

      it('a command that gets no reply fails with a TimeoutError within commandTimeoutMs', async () => {
        const node = target.nodes ? target.nodes : [{ host: new URL(target.url).hostname, port: Number(new URL(target.url).port) }];
        const impatient = await createAgentMemory({ client, prefix, clientOptions: { commandTimeoutMs: 200 } });
        // CLIENT PAUSE holds every client of the server, so it is kept short on these shared servers.
        const admins = await Promise.all(node.map((n) => connectTo({ name: 'node', url: `redis://${n.host}:${n.port}`, version: null })));
        try {
          await Promise.all(admins.map((a) => a.send(['CLIENT', 'PAUSE', '700', 'ALL'])));
          const started = Date.now();
          const error = await impatient.connection.send(['GET', `${prefix}:paused`], { key: `${prefix}:paused` }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(TimeoutError);
          expect(error).toMatchObject({ code: 'TIMEOUT' });
          expect(Date.now() - started).toBeLessThan(600);
          await new Promise((r) => setTimeout(r, 800));
          expect(await impatient.connection.send(['PING'])).toBe('PONG');
        } finally {
          await Promise.all(admins.map((a) => a.close()));
          await impatient.close();
        }
        expect(client.isOpen).toBe(true);
      });
    });
  }
}

describe.runIf(harness().binaries.redis8)('an adopted client against a stopped server', () => {
  it.each(majors)('node-redis %s: commands time out within commandTimeoutMs, and the client stays the caller’s', async (major) => {
    const server = await startRedis(harness().binaries.redis8!);
    const client = userClient(major, { name: 'own', url: server.url, version: server.version }, { socket: { reconnectStrategy: 50 } });
    client.on('error', () => undefined); // the caller's listener: the library adds none to a client of yours
    try {
      const memory = await createAgentMemory({ client, prefix: 'stop', clientOptions: { commandTimeoutMs: 300 } });
      const chat = memory.sessions.session({ userId: 'u', sessionId: 's' });
      await chat.append({ role: 'user', content: 'x' });
      await server.stop();
      const started = Date.now();
      const error = await chat.append({ role: 'user', content: 'y' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentMemoryError);
      expect(['TIMEOUT', 'CONNECTION_FAILED']).toContain((error as AgentMemoryError).code);
      expect(Date.now() - started).toBeLessThan(1000);
      await memory.close();
      expect(client.isOpen).toBe(true); // still reconnecting, by its own strategy: it is the caller's to close
    } finally {
      client.destroy();
      await server.stop().catch(() => undefined);
    }
  });
});

describe('what createAgentMemory({ client }) refuses', () => {
  const target = used.find((t) => !t.nodes) ?? used[0]!;

  it('a RESP2 client (node-redis 5 by default, or RESP: 2), before opening it', async () => {
    for (const client of [createClientV5({ url: target.url }), createClientV6({ url: target.url, RESP: 2 })]) {
      const error = await createAgentMemory({ client }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((error as Error).message).toContain('RESP: 3');
      expect(client.isOpen).toBe(false);
    }
    const cluster = createClusterV5({ rootNodes: [{ url: target.url }] });
    await expect(createAgentMemory({ client: cluster })).rejects.toThrow(/RESP: 3/);
  });

  it('both client and redis, neither, something that is no client, and a keyPrefix', async () => {
    const client = createClientV6({ url: target.url });
    const both = await createAgentMemory({ client, redis: { url: target.url } }).catch((e: unknown) => e);
    expect(both).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((both as Error).message).toContain('give only one of redis (how to connect) or client');
    await expect(createAgentMemory({} as never)).rejects.toThrow(/give one of redis \(how to connect\) or client/);
    await expect(createAgentMemory({ client: { isOpen: true } as never })).rejects.toThrow(/must be a node-redis client or cluster/);
    await expect(createAgentMemory({ redis: { url: target.url }, clientOptions: { commandTimeoutMs: 10 } })).rejects.toThrow(
      /clientOptions: is for a client of yours/,
    );
    const prefixed = createClientV6({ url: target.url, keyPrefix: 'app:' });
    await expect(createAgentMemory({ client: prefixed })).rejects.toThrow(/keyPrefix/);
    expect(client.isOpen).toBe(false);
  });

  it('an open client is used as it is and never closed', async () => {
    const client = createClientV6({ url: target.url });
    await client.connect();
    const memory = await createAgentMemory({ client, prefix: uniquePrefix('oc') });
    await memory.close();
    await memory.close();
    expect(await client.ping()).toBe('PONG');
    await client.close();
  });
});
