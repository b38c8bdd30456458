// The `telemetry` option with a real OpenTelemetry SDK (in-memory exporters) on real servers: one
// CLIENT span per operation with the database conventions' attributes, the duration histogram, a
// failure's status and error.type, the summarizer's span as a child of the append's, and not one
// content, id or secret in any attribute.
import { readFileSync } from 'node:fs';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { memoryConfig, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { everyAttributeValue, otel, type Otel } from './otel.js';

// The scope's version is a constant in the source: it must follow the package's.
const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// Parent/child needs a context manager (as NodeSDK registers one); global, but this file's own process.
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
afterAll(() => {
  context.disable();
});

const chosen = targetsWithCluster({ asAclUser: true }).filter((t) => ['redis8', 'external', 'cluster-acl'].includes(t.name));

describe.each(chosen.map((t) => [t.name, t] as const))('telemetry of sessions (%s)', (_, target) => {
  let o: Otel;
  let memory: AgentMemory;
  const { config, release } = memoryConfig(target);
  beforeAll(async () => {
    o = otel();
    memory = await createAgentMemory({
      ...config,
      prefix: uniquePrefix('otel'),
      telemetry: { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider },
      sessions: { maxMessages: 3, summarizer: ({ summary, messages }) => `${summary ?? ''}+${messages.length}` },
    });
  });
  afterAll(async () => {
    await memory.close();
    await release();
    await o.shutdown();
  });

  it('makes one CLIENT span per append and read, with the database attributes and counts', async () => {
    o.reset();
    const chat = memory.sessions.session({ tenant: 'acme', userId: 'u1', sessionId: 's1' });
    await chat.append([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'two' },
    ]);
    await chat.append({ role: 'user', content: 'one', id: 'fixed' });
    await chat.append({ role: 'user', content: 'one', id: 'fixed' }); // a duplicate
    const read = await chat.messages({ last: 2 });
    const window = await chat.window();
    expect(read).toHaveLength(2);

    const appends = o.named('session.append');
    expect(appends).toHaveLength(3);
    const [first, , duplicate] = appends;
    expect(first!.kind).toBe(SpanKind.CLIENT);
    expect(first!.status.code).toBe(SpanStatusCode.UNSET);
    const port = Number(new URL(target.url).port);
    expect(first!.attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.system': 'redis',
      'db.operation.name': 'session.append',
      'server.address': new URL(target.url).hostname,
      'server.port': port,
      'agent_memory.message_count': 2,
      'agent_memory.duplicates': 0,
    });
    expect(duplicate!.attributes['agent_memory.duplicates']).toBe(1);
    expect(first!.instrumentationScope).toMatchObject({ name: 'redis-agent-memory', version: packageVersion });

    const [reading] = o.named('session.read');
    expect(reading!.attributes).toMatchObject({ 'db.operation.name': 'session.read', 'agent_memory.result_count': 2 });
    const [windowed] = o.named('session.window');
    expect(windowed!.attributes).toMatchObject({
      'agent_memory.result_count': window.messages.length,
      'agent_memory.session.summary': window.summary !== null,
    });

    const durations = (await o.points()).filter((p) => p.name === 'db.client.operation.duration');
    const appendPoint = durations.find((p) => p.attributes['db.operation.name'] === 'session.append' && !('error.type' in p.attributes));
    expect(appendPoint!.attributes).toMatchObject({ 'db.system.name': 'redis', 'server.port': port });
    expect(appendPoint!.attributes).not.toHaveProperty('db.system');
    expect((appendPoint!.value as { count: number }).count).toBeGreaterThanOrEqual(3);
    expect((appendPoint!.value as { sum: number }).sum).toBeGreaterThan(0);
  });

  it("records the summarizer's work as a child span of the append that trimmed", async () => {
    o.reset();
    const chat = memory.sessions.session({ userId: 'u2', sessionId: 'trim' });
    for (let i = 0; i < 4; i++) await chat.append({ role: 'user', content: `m${i}` });
    const [summarize] = o.named('session.summarize');
    expect(summarize).toBeDefined();
    const parent = o.named('session.append').find((s) => s.spanContext().spanId === summarize!.parentSpanContext?.spanId);
    expect(parent).toBeDefined();
    expect(summarize!.spanContext().traceId).toBe(parent!.spanContext().traceId);
  });

  it("makes the library's span a child of the caller's active span", async () => {
    o.reset();
    const chat = memory.sessions.session({ userId: 'u4', sessionId: 'parent' });
    const tracer = o.tracerProvider.getTracer('app');
    await tracer.startActiveSpan('handle request', async (request) => {
      await chat.append({ role: 'user', content: 'hello' });
      request.end();
    });
    const [append] = o.named('session.append');
    const [request] = o.named('handle request');
    expect(append!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
  });

  it("gives a foreign error's class name as error.type", async () => {
    o.reset();
    const cache = memory.cache({ name: 'failing' });
    await expect(
      cache.getOrCompute('k', () => {
        throw new TypeError('the model said: a secret answer');
      }),
    ).rejects.toThrow(TypeError);
    const [span] = o.named('cache.get_or_compute');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError' });
    expect(span!.attributes['error.type']).toBe('TypeError');
  });

  it("sets a failure's status and error.type to its code, never its message", async () => {
    o.reset();
    const chat = memory.sessions.session({ userId: 'u3', sessionId: 'bad' });
    const bad = { role: 'wizard', content: 'a secret spell' } as never;
    await expect(chat.append(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    const [span] = o.named('session.append');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'INVALID_ARGUMENT' });
    expect(span!.attributes['error.type']).toBe('INVALID_ARGUMENT');
    expect(span!.events).toEqual([]); // no exception event: its message could quote the input
    const failed = (await o.points()).find(
      (p) => p.name === 'db.client.operation.duration' && p.attributes['error.type'] === 'INVALID_ARGUMENT',
    );
    expect(failed!.attributes['db.operation.name']).toBe('session.append');
  });

  it('puts no content, user, tenant or session id, nor the password, in any attribute', async () => {
    o.reset();
    const content = 'CONTENT-7f3a my locker code is 7741';
    const chat = memory.sessions.session({ tenant: 'TENANT-91be', userId: 'USER-4c2d', sessionId: 'SESSION-e5a0' });
    await chat.append([{ role: 'user', content, metadata: { note: 'META-88aa' } }], { idempotencyKey: 'IDEM-2b2b' });
    await chat.messages();
    await chat.window({ maxTokens: 500 });
    await expect(chat.append({ role: 'bogus', content } as never)).rejects.toThrow();
    const values = everyAttributeValue(o.spans(), await o.points());
    expect(values.length).toBeGreaterThan(10);
    const secrets = ['CONTENT-7f3a', '7741', 'TENANT-91be', 'USER-4c2d', 'SESSION-e5a0', 'META-88aa', 'IDEM-2b2b'];
    if (target.user) secrets.push(target.user.password);
    for (const secret of secrets) expect(values.filter((v) => v.includes(secret))).toEqual([]);
  });
});
