// Telemetry suite: what OpenTelemetry costs a session append (one message, idempotency key,
// window 100, sliding TTL), at concurrency 1 and 64, on one Redis 8 server. Three memories run in
// the same interleaved rounds:
//   off        `telemetry: false`: no spans, no metrics (the baseline);
//   no-sdk     the default, with no SDK registered: the API's proxy tracer hands out non-recording
//              spans and the no-op meter is left out (target: p50 at most 3% slower at c1);
//   sdk        a real SDK through the option: BasicTracerProvider + BatchSpanProcessor to an
//              exporter that drops the spans, and a MeterProvider whose reader collects (to a
//              no-op exporter) every 60 s, so every append records a span and a histogram point;
//   traces     the tracer provider alone (`{ tracerProvider }`: the global meter is the no-op one);
//   metrics    the meter provider alone (`{ meterProvider }`: the global tracer hands out non-recording spans).
// No context manager is registered (NodeSDK would register AsyncLocalStorage's; see docs/observability.md).
// Then the wrapper alone, in process (no Redis): what one operation's telemetry adds to a call that
// does nothing, in ns, per variant (the median of interleaved rounds, less a direct call's): the
// figure that stays put when a busy machine blurs the appends' ratios.
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { compare, type RunOptions } from '../lib/measure.js';
import { figure, sampleFigures, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';

const TEXT =
  'Could you check where my order is? It was supposed to arrive on Tuesday and the tracking page has not changed since the weekend.';

/** Drops what it is given: the SDK's own work (span building, batching, aggregation) is measured, not an exporter's network. */
const dropSpans: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
const dropMetrics: PushMetricExporter = {
  export: (_metrics, done) => done({ code: 0 }),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
};

export async function telemetrySuite(ctx: SuiteContext): Promise<SuiteResult> {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] });
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 60_000 })],
  });
  const prefix = `benchtel${Date.now().toString(36)}`;
  const sessions = { ttl: { mode: 'sliding' as const, seconds: 86_400 }, maxMessages: 100 };
  const open = (name: string, telemetry: Parameters<typeof createAgentMemory>[0]['telemetry']) =>
    createAgentMemory({
      redis: { url: ctx.redis8Url },
      prefix: `${prefix}${name}`,
      sessions,
      ...(telemetry === undefined ? {} : { telemetry }),
    });
  const memories: Record<'off' | 'noSdk' | 'sdk' | 'traces' | 'metrics', AgentMemory> = {
    off: await open('off', false),
    noSdk: await open('nosdk', undefined),
    sdk: await open('sdk', { tracerProvider, meterProvider }),
    traces: await open('traces', { tracerProvider }),
    metrics: await open('metrics', { meterProvider }),
  };
  const plain = { role: 'user' as const, content: TEXT };
  const figures = [];
  let request = 0;
  try {
    for (const concurrency of [1, 64]) {
      const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 300 : 3000) : concurrency === 1 ? 2000 : 20_000, concurrency };
      const chats = (m: AgentMemory) =>
        Array.from({ length: concurrency }, (_, i) => m.sessions.session({ userId: 'u', sessionId: `s${i}` }));
      const off = chats(memories.off);
      const noSdk = chats(memories.noSdk);
      const sdk = chats(memories.sdk);
      const traces = chats(memories.traces);
      const metrics = chats(memories.metrics);
      ctx.progress(`telemetry: append at concurrency ${concurrency}`);
      const append = await compare(
        {
          off: (i) => off[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
          noSdk: (i) => noSdk[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
          sdk: (i) => sdk[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
          traces: (i) => traces[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
          metrics: (i) => metrics[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
        },
        options,
        ctx.quick ? 7 : 9,
      );
      figures.push(...sampleFigures(`telemetry.append_no_sdk.c${concurrency}`, append.noSdk, { 'telemetry-off': append.off }));
      figures.push(...sampleFigures(`telemetry.append_sdk.c${concurrency}`, append.sdk, { 'telemetry-off': append.off }));
      figures.push(...sampleFigures(`telemetry.append_sdk_traces.c${concurrency}`, append.traces, { 'telemetry-off': append.off }));
      figures.push(...sampleFigures(`telemetry.append_sdk_metrics.c${concurrency}`, append.metrics, { 'telemetry-off': append.off }));
      // Each case's figure is its median round by throughput, so on a busy machine two cases' p50s
      // can come from rounds far apart; the median of the ratios of rounds run side by side cannot.
      const variants = { no_sdk: append.noSdk, sdk: append.sdk, sdk_traces: append.traces, sdk_metrics: append.metrics };
      for (const [name, sample] of Object.entries(variants)) {
        const ratios = sample.rounds!.map((round, r) => append.off.rounds![r]!.p50Ms / round.p50Ms).sort((a, b) => a - b);
        figures.push(
          figure(`telemetry.append_${name}.c${concurrency}.p50_round_ratio`, 'x', 'higher', ratios[Math.floor(ratios.length / 2)]!, {}),
        );
      }
    }
    ctx.progress('telemetry: the wrapper alone, in process');
    const calls = ctx.quick ? 20_000 : 200_000;
    const nothing = () => Promise.resolve(1);
    const ops = Object.fromEntries(
      Object.entries(memories).map(([name, m]) => [name, m.connection.telemetry.operation('session.append')] as const),
    ) as Record<keyof typeof memories, ReturnType<AgentMemory['connection']['telemetry']['operation']>>;
    const cases: Record<string, () => Promise<unknown>> = { direct: nothing };
    for (const [name, op] of Object.entries(ops)) cases[name] = () => op.run(nothing);
    const perCall = Object.fromEntries(Object.keys(cases).map((k) => [k, [] as number[]]));
    const names = Object.keys(cases);
    for (let round = 0; round < 9; round++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(round + j) % names.length]!;
        const run = cases[name]!;
        const started = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) await run();
        perCall[name]!.push(Number(process.hrtime.bigint() - started) / calls);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const direct = median(perCall.direct!);
    const label = { off: 'off', noSdk: 'no_sdk', sdk: 'sdk', traces: 'sdk_traces', metrics: 'sdk_metrics' } as const;
    for (const name of Object.keys(ops) as (keyof typeof ops)[]) {
      figures.push(
        figure(`telemetry.wrapper_overhead.${label[name]}.ns_per_call`, 'ns', 'lower', Math.max(0, median(perCall[name]!) - direct), {}),
      );
    }
  } finally {
    for (const m of Object.values(memories)) {
      for await (const keys of m.connection.scan(`${prefix}*`)) for (const key of keys) await m.connection.send(['UNLINK', key], { key });
      await m.close();
    }
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  }
  return { suite: 'telemetry', figures, skipped: [] };
}
