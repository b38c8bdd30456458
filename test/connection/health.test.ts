// memory.health(): every connection the memory holds (the main one, subscribers, blocking readers)
// is listed and pinged within the deadline, on real servers; a server the test stops, freezes or
// locks out turns its entries false within the deadline, and true again once the client is back.
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster, startRedis, type LocalCluster, type LocalRedis } from '../../scripts/local-redis.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import type { HealthReport } from '../../src/connection/health.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { harness, memoryConfig, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const roles = (report: HealthReport) => report.connections.map((c) => `${c.role}${c.name ? ` ${c.name}` : ''}`);
const SECRET = 'health-check-secret';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('memory.health() (%s)', (_, target) => {
  it('pings the main connection (each master of a cluster) and every subscriber and reader, until they close', async () => {
    const prefix = uniquePrefix('h');
    const { config, release } = memoryConfig(target);
    const memory = await createAgentMemory({ ...config, prefix, events: { live: true } });
    try {
      const alone = await memory.health();
      expect(alone.ok).toBe(true);
      const masters = target.nodes ? 3 : 1;
      expect(alone.connections).toHaveLength(masters);
      for (const entry of alone.connections) {
        expect(entry).toMatchObject({ role: 'main', ok: true, probe: 'ping' });
        expect(entry.latencyMs).toBeGreaterThanOrEqual(0);
        expect(entry.latencyMs).toBeLessThan(1000);
        expect(entry.endpoint).toMatch(/^redis:\/\/[^@]+:\d+$/);
        expect(entry.error).toBeUndefined();
      }
      if (target.nodes) expect(new Set(alone.connections.map((c) => c.endpoint)).size).toBe(3);

      // A near cache listens for invalidations; a live subscription has a connection of its own.
      const cache = memory.cache({ name: 'near', nearCache: { maxEntries: 100 } });
      await cache.listen();
      const heard: unknown[] = [];
      const stop = await memory.events.subscribe((event) => heard.push(event));
      const subscribed = await memory.health();
      expect(subscribed.ok).toBe(true);
      const subscribers = subscribed.connections.filter((c) => c.role === 'subscriber');
      expect(subscribers).toHaveLength(2);
      expect(subscribers.every((c) => c.ok && c.probe === 'ping' && c.latencyMs! < 1000)).toBe(true);
      const channel = memory.events.keys.channel;
      expect(subscribers.map((c) => c.name)).toEqual([`${prefix}:c:near:events`, channel]);
      // The PINGs left the subscribers in subscribe mode: a message published now still arrives.
      await memory.connection.send(['PUBLISH', channel, JSON.stringify({ type: 'probe' })], { key: channel });
      await expect.poll(() => heard, { timeout: 2_000 }).toEqual([{ type: 'probe' }]);

      await cache.close();
      await stop();
      expect(roles(await memory.health())).toEqual(alone.connections.map(() => 'main'));
    } finally {
      await memory.close();
      await release();
    }
  });
});

describe.runIf(harness().binaries.redis8)('memory.health() on a server the test stops', () => {
  const servers: LocalRedis[] = [];
  const memories: AgentMemory[] = [];
  afterAll(async () => {
    for (const memory of memories) await memory.close().catch(() => undefined);
    for (const server of servers) await server.stop();
  });
  const own = async (args: string[] = []) => {
    const server = await startRedis(harness().binaries.redis8!, args);
    servers.push(server);
    return server;
  };
  const fastReconnect = { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } };

  it('a consumer’s blocking reader is listed by its socket’s state, not pinged behind its read', async () => {
    const server = await own();
    const memory = await createAgentMemory({
      redis: { url: server.url, commandTimeoutMs: 3_000 },
      prefix: uniquePrefix('h'),
      sessions: { events: true },
    });
    memories.push(memory);
    // A consumer reads (and so opens its reader) once there is a stream to read.
    await memory.sessions.session({ tenant: 'acme', userId: 'alice', sessionId: 's1' }).append({ role: 'user', content: 'hi' });
    const worker = memory.events.consume('health', () => undefined, { blockMs: 2_000 });
    try {
      await expect.poll(async () => roles(await memory.health()), { timeout: 5_000 }).toContain(`blocking-reader health/${worker.name}`);
      const started = performance.now();
      const report = await memory.health({ timeoutMs: 300 });
      // A PING on the reader would have waited for the 2 s block to end.
      expect(performance.now() - started).toBeLessThan(300 + 200);
      expect(report.ok).toBe(true);
      expect(report.connections.find((c) => c.role === 'blocking-reader')).toEqual({
        role: 'blocking-reader',
        name: `health/${worker.name}`,
        endpoint: server.url,
        ok: true,
        probe: 'socket',
      });
    } finally {
      await worker.stop();
    }
    expect(roles(await memory.health())).toEqual(['main']);
  });

  it('turns false within the deadline when the server dies or freezes, and true again once the client is back', async () => {
    const server = await own();
    const memory = await createAgentMemory({ redis: { url: server.url, ...fastReconnect }, prefix: uniquePrefix('h') });
    memories.push(memory);
    await memory.cache({ name: 'near', nearCache: { maxEntries: 10 } }).listen();
    expect((await memory.health()).ok).toBe(true);

    // Frozen (SIGSTOP): the sockets stay open, the PINGs get no reply: a timeout at the deadline.
    process.kill(server.pid!, 'SIGSTOP');
    try {
      const started = performance.now();
      const frozen = await memory.health({ timeoutMs: 400 });
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(400 + 300);
      expect(frozen.ok).toBe(false);
      expect(frozen.connections.map((c) => [c.role, c.ok, c.error?.code])).toEqual([
        ['main', false, 'TIMEOUT'],
        ['subscriber', false, 'TIMEOUT'],
      ]);
      expect(frozen.connections[0]!.error!.message).toBe('PING got no reply within 400 ms');
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    await expect.poll(async () => (await memory.health()).ok, { timeout: 5_000 }).toBe(true);

    // Dead (SIGKILL): the sockets drop; every entry says so, at once rather than at the deadline.
    await server.kill();
    await expect
      .poll(async () => (await memory.health({ timeoutMs: 500 })).connections.map((c) => c.ok), { timeout: 3_000 })
      .toEqual([false, false]);
    const started = performance.now();
    const dead = await memory.health({ timeoutMs: 500 });
    expect(performance.now() - started).toBeLessThan(500 + 300);
    expect(dead.ok).toBe(false);
    for (const entry of dead.connections) expect(entry.error?.code).toBe('CONNECTION_FAILED');

    await server.restart();
    await expect.poll(async () => (await memory.health()).ok, { timeout: 10_000 }).toBe(true);
    expect(roles(await memory.health())).toEqual(['main', expect.stringMatching(/^subscriber .*near/)]);
  });

  it('reports a connection whose credentials fail while it reconnects, without the secret', async () => {
    const server = await own();
    const admin = await createAgentMemory({ redis: { url: server.url }, prefix: uniquePrefix('h') });
    memories.push(admin);
    await admin.connection.send(['ACL', 'SETUSER', 'app', 'on', `>${SECRET}`, '~*', '&*', '+@all']);
    const memory = await createAgentMemory({
      redis: { url: server.url, auth: { type: 'password', username: 'app', password: SECRET }, ...fastReconnect },
      prefix: uniquePrefix('h'),
    });
    memories.push(memory);
    expect((await memory.health()).ok).toBe(true);

    // The password changes under a live connection, which loses its socket and cannot get back in.
    await admin.connection.send(['ACL', 'SETUSER', 'app', 'resetpass', '>another-secret']);
    await admin.connection.send(['CLIENT', 'KILL', 'USER', 'app']);
    await expect.poll(async () => (await memory.health()).connections[0]?.error?.code, { timeout: 5_000 }).toBe('CREDENTIALS');
    const locked = await memory.health();
    expect(locked.ok).toBe(false);
    expect(JSON.stringify(locked)).not.toContain(SECRET);
    expect(JSON.stringify(locked)).not.toContain('another-secret');

    await admin.connection.send(['ACL', 'SETUSER', 'app', 'resetpass', `>${SECRET}`]);
    await expect.poll(async () => (await memory.health()).ok, { timeout: 5_000 }).toBe(true);
  });

  it('refuses a deadline that is not a positive whole number of ms, and reports a closed memory as down', async () => {
    const server = await own();
    const memory = await createAgentMemory({ redis: { url: server.url }, prefix: uniquePrefix('h') });
    memories.push(memory);
    await expect(memory.health({ timeoutMs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(memory.health({ timeoutMs: 1.5 })).rejects.toThrow(InvalidArgumentError);
    // A memory that was closed is not ready.
    await memory.close();
    const closed = await memory.health();
    expect(closed.ok).toBe(false);
    expect(closed.connections).toEqual([
      expect.objectContaining({
        role: 'main',
        ok: false,
        error: { code: 'CONNECTION_FAILED', message: expect.stringContaining('closed') },
      }),
    ]);
  });
});

describe.runIf(harness().binaries.redis8)('memory.health() on a cluster of its own, one master stopped', () => {
  let cluster: LocalCluster;
  let memory: AgentMemory;
  afterAll(async () => {
    await memory?.close().catch(() => undefined);
    await cluster?.stop();
  });

  it('reports each master once: the frozen or dead one down within the deadline, the others up, all up once it is back', async () => {
    cluster = await startCluster(harness().binaries.redis8!, 3);
    memory = await createAgentMemory({
      redis: { nodes: cluster.nodes, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } },
      prefix: uniquePrefix('h'),
    });
    const masters = cluster.members.filter((m) => m.role === 'master');
    const healthy = await memory.health();
    expect(healthy.ok).toBe(true);
    expect(healthy.connections.map((c) => c.endpoint).sort()).toEqual(masters.map((m) => `redis://${m.host}:${m.port}`).sort());
    const victim = masters[1]!;
    const at = `redis://${victim.host}:${victim.port}`;
    const states = (report: HealthReport) => report.connections.map((c) => [c.endpoint === at, c.ok, c.error?.code ?? null]).sort();

    process.kill(victim.server.pid!, 'SIGSTOP');
    try {
      const started = performance.now();
      const frozen = await memory.health({ timeoutMs: 400 });
      expect(performance.now() - started).toBeLessThan(400 + 300);
      expect(frozen.ok).toBe(false);
      expect(states(frozen)).toEqual([
        [false, true, null],
        [false, true, null],
        [true, false, 'TIMEOUT'],
      ]);
    } finally {
      process.kill(victim.server.pid!, 'SIGCONT');
    }
    await expect.poll(async () => (await memory.health()).ok, { timeout: 5_000 }).toBe(true);

    await victim.server.kill();
    await expect
      .poll(async () => states(await memory.health({ timeoutMs: 400 })).map(([victimEntry, ok]) => [victimEntry, ok]), { timeout: 5_000 })
      .toEqual([
        [false, true],
        [false, true],
        [true, false],
      ]);
    await victim.server.restart();
    await expect.poll(async () => (await memory.health()).ok, { timeout: 15_000 }).toBe(true);
  }, 60_000);
});
