// The `telemetry` option's default and `false`, with the SDK registered as the global providers
// (this file's own process): the default follows the globals, `false` records nothing, and without
// `@opentelemetry/api` (a failed import) telemetry is off. Real server.
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { openTelemetry, Telemetry } from '../../src/observe/telemetry.js';
import { memoryConfig, targets, uniquePrefix } from '../harness/index.js';
import { otel } from './otel.js';

describe('telemetry option: default and false', () => {
  const target = targets()[0]!;
  const opened: AgentMemory[] = [];
  const o = otel();
  afterAll(async () => {
    await Promise.all(opened.map((m) => m.close()));
    trace.disable();
    metrics.disable();
    await o.shutdown();
  });
  const open = async (telemetry?: false): Promise<AgentMemory> => {
    const memory = await createAgentMemory({
      ...memoryConfig(target).config,
      prefix: uniquePrefix('oteld'),
      ...(telemetry === false ? { telemetry } : {}),
    });
    opened.push(memory);
    return memory;
  };
  const appendOnce = (memory: AgentMemory) =>
    memory.sessions.session({ userId: 'u', sessionId: 's' }).append({ role: 'user', content: 'hi' });

  it('with no SDK registered, records nothing and leaves out the no-op meter', async () => {
    const memory = await open();
    expect(memory.connection.telemetry.enabled).toBe(true); // the API's proxy tracer: an SDK registered later is used
    await appendOnce(memory);
    expect(o.spans()).toEqual([]);
    expect(await o.points()).toEqual([]);
  });

  it('follows the global providers by default, and records nothing with telemetry: false', async () => {
    const before = await open(); // made before the SDK is registered
    trace.setGlobalTracerProvider(o.tracerProvider);
    metrics.setGlobalMeterProvider(o.meterProvider);
    const after = await open();
    const off = await open(false);
    expect(off.connection.telemetry).toBe(Telemetry.off);

    await appendOnce(off);
    expect(o.spans()).toEqual([]);
    await appendOnce(after);
    expect(o.named('session.append')).toHaveLength(1);
    // Spans go through the API's proxy, so a memory made first traces too (its meter stays the no-op one).
    await appendOnce(before);
    expect(o.named('session.append')).toHaveLength(2);
    const durations = (await o.points()).filter((p) => p.name === 'db.client.operation.duration');
    expect(durations.map((p) => (p.value as { count: number }).count)).toEqual([1]);
  });

  it('is off without @opentelemetry/api, unless given providers', async () => {
    const missing = () => Promise.reject(Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' }));
    expect(await openTelemetry(undefined, 'redis://localhost:6379', missing)).toBe(Telemetry.off);
    const given = await openTelemetry({ tracerProvider: o.tracerProvider }, 'redis://localhost:6379', missing);
    expect(given.enabled).toBe(true);
    expect(given.common).toEqual({ 'db.system.name': 'redis', 'server.address': 'localhost', 'server.port': 6379 });
  });

  it('rejects a provider that is not one', async () => {
    await expect(createAgentMemory({ ...memoryConfig(target).config, telemetry: { tracerProvider: {} as never } })).rejects.toThrow(
      /telemetry.*TracerProvider/,
    );
  });
});
