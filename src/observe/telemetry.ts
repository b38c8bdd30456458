// OpenTelemetry for the library: one span per public operation and the metrics beside it, on
// `@opentelemetry/api` (an optional peer, loaded by createAgentMemory, never at import time).
// Attributes are names, counts and codes: never contents, queries, keys, user or session ids, secrets.
import { z } from 'zod';
import { AgentMemoryError } from '../errors.js';

/** An attribute value as OpenTelemetry takes it. */
export type TelemetryValue = string | number | boolean;
export type TelemetryAttributes = Readonly<Record<string, TelemetryValue>>;

/** The part of an OpenTelemetry span the library uses (`Span` of `@opentelemetry/api`). */
export interface SpanLike {
  setAttribute(key: string, value: TelemetryValue): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  isRecording(): boolean;
  end(): void;
}

interface TracerLike {
  startSpan(name: string, options: { kind: number; attributes: TelemetryAttributes }): SpanLike;
}

/** An OpenTelemetry TracerProvider (`BasicTracerProvider`, `NodeTracerProvider`, or `trace.getTracerProvider()`). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): TracerLike;
}

interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void;
}
interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void;
}
interface ObservableLike {
  addCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
}
interface MeterLike {
  createHistogram(name: string, options: object): HistogramLike;
  createCounter(name: string, options: object): CounterLike;
  createObservableGauge(name: string, options: object): ObservableLike;
}

/** An OpenTelemetry MeterProvider (`MeterProvider` of `@opentelemetry/sdk-metrics`, or `metrics.getMeterProvider()`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** What the library needs of `@opentelemetry/api` itself: the active context, to make its spans children of yours. */
interface ApiLike {
  trace: { getTracerProvider(): TracerProviderLike; setSpan(context: unknown, span: SpanLike): unknown };
  metrics: { getMeterProvider(): MeterProviderLike };
  context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
  createNoopMeter(): object;
  ProxyTracerProvider: new () => { getDelegate(): unknown };
}

/** The API's global tracer provider before an SDK is registered: a proxy whose delegate is the no-op provider. */
interface ProxyLike {
  getDelegate(): unknown;
}

const hasMethod = (name: string) => (v: unknown) =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[name] === 'function';

/**
 * The `telemetry` option of createAgentMemory. Default: the global providers of
 * `@opentelemetry/api` when it is installed (register your SDK before createAgentMemory), else
 * nothing. `false`: no spans, no metrics, no cost. Or the providers to use instead of the globals.
 */
export const TelemetryOptionSchema = z.union([
  z
    .object({
      tracerProvider: z.custom<TracerProviderLike>(hasMethod('getTracer'), 'must be an OpenTelemetry TracerProvider').optional(),
      meterProvider: z.custom<MeterProviderLike>(hasMethod('getMeter'), 'must be an OpenTelemetry MeterProvider').optional(),
    })
    .strict(),
  z.literal(false),
]);
export type TelemetryOption = z.input<typeof TelemetryOptionSchema>;

// Numbers of @opentelemetry/api's enums (stable since 1.0), so that no value import is needed.
const SPAN_KIND_CLIENT = 2;
const SPAN_KIND_CONSUMER = 4;
const STATUS_ERROR = 2;

const LIBRARY = 'redis-agent-memory';
/** The instrumentation scope's version: the package's (a test keeps them equal). */
export const LIBRARY_VERSION = '0.1.0';

/** The semconv buckets of `db.client.operation.duration`, in seconds. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** `error.type` of a failure: the library's code, else the error's class name; never its message. */
export function errorType(error: unknown): string {
  if (error instanceof AgentMemoryError) return error.code;
  return error instanceof Error ? error.name : '_OTHER';
}

/**
 * The tracer, the meter and the instruments of one memory (all its stores, through the
 * connection). `Telemetry.off` does nothing and costs nothing.
 */
export class Telemetry {
  /** No spans, no metrics (`telemetry: false`, and connections made without createAgentMemory). */
  static readonly off = new Telemetry(undefined, undefined, undefined, {});

  /** False for `Telemetry.off`: callers skip even the attribute objects. */
  readonly enabled: boolean;
  /** A meter that records (not the API's no-op one). */
  readonly measuring: boolean;
  /** `db.system.name`, `server.address`, `server.port`: on every span and metric point. */
  readonly common: TelemetryAttributes;
  readonly #tracer: TracerLike | undefined;
  readonly #api: ApiLike | undefined;
  readonly #duration: HistogramLike | undefined;
  readonly #cacheLookups: CounterLike | undefined;
  readonly #stampedeWaits: CounterLike | undefined;
  readonly #deliveryLag: HistogramLike | undefined;
  readonly #meter: MeterLike | undefined;
  readonly #operations = new Map<string, Operation>();
  /** The global proxy provider, while its delegate is the no-op one: spans are started only once an SDK is registered. */
  readonly #proxy: ProxyLike | undefined;
  readonly #noopDelegate: unknown;

  /** @internal use createAgentMemory's `telemetry` option */
  constructor(
    tracer: TracerLike | undefined,
    meter: MeterLike | undefined,
    api: ApiLike | undefined,
    common: TelemetryAttributes,
    proxy?: { provider: ProxyLike; noop: unknown },
  ) {
    this.enabled = tracer !== undefined || meter !== undefined;
    this.measuring = meter !== undefined;
    this.#proxy = proxy?.provider;
    this.#noopDelegate = proxy?.noop;
    this.#tracer = tracer;
    this.#meter = meter;
    this.#api = api;
    this.common = Object.freeze({ ...common });
    this.#duration = meter?.createHistogram('db.client.operation.duration', {
      description: 'Duration of the library operations (session.append, cache.get, memory.recall...), end to end',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#cacheLookups = meter?.createCounter('agent_memory.cache.lookups', {
      description: 'Cache lookups, by cache and outcome (agent_memory.cache.hit)',
      unit: '{lookup}',
    });
    this.#stampedeWaits = meter?.createCounter('agent_memory.cache.stampede.waits', {
      description: 'Misses that waited for another caller computing the same entry instead of computing it',
      unit: '{wait}',
    });
    this.#deliveryLag = meter?.createHistogram('agent_memory.events.delivery_lag', {
      description: "Time from an event's publication to the start of a consumer's handler, by group and event type",
      unit: 's',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300] },
    });
  }

  /**
   * The operation `name` (a low-cardinality span name such as `session.append`) with `attributes`
   * fixed for its store (engine, cache name...). Made once per store, or memoized here when it has none.
   */
  operation(name: string, attributes?: TelemetryAttributes, kind: 'client' | 'consumer' = 'client'): Operation {
    if (kind === 'consumer') return new Operation(this, name, attributes ?? {}, kind);
    if (attributes === undefined) {
      const known = this.#operations.get(name);
      if (known) return known;
      const op = new Operation(this, name, {});
      this.#operations.set(name, op);
      return op;
    }
    return new Operation(this, name, attributes);
  }

  /** A cache lookup's outcome, per key looked up. */
  cacheLookups(attributes: TelemetryAttributes, count: number): void {
    if (count > 0) this.#cacheLookups?.add(count, attributes);
  }

  /** An event reached a handler `seconds` after it was published (clocks of two hosts: a skew shows here). */
  eventDelivered(seconds: number, attributes: TelemetryAttributes): void {
    this.#deliveryLag?.record(Math.max(0, seconds), attributes);
  }

  /** A miss that waited for another caller's compute (stampede protection). */
  stampedeWait(attributes: TelemetryAttributes): void {
    this.#stampedeWaits?.add(1, attributes);
  }

  /**
   * An observable gauge read at each collection (the SDK's reader calls `observe`); returns the
   * function that stops it. Nothing runs between collections.
   */
  gauge(
    name: string,
    options: { description: string; unit: string },
    observe: (record: (value: number, attributes: TelemetryAttributes) => void) => void | Promise<void>,
  ): () => void {
    const gauge = this.#meter?.createObservableGauge(name, options);
    if (!gauge) return () => undefined;
    const callback = async (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => {
      await observe((value, attributes) => result.observe(value, { ...this.common, ...attributes }));
    };
    gauge.addCallback(callback);
    return () => gauge.removeCallback(callback);
  }

  /** Whether a span started now could record: a tracer, and (behind the API's proxy) an SDK registered. */
  tracing(): boolean {
    return this.#tracer !== undefined && (this.#proxy === undefined || this.#proxy.getDelegate() !== this.#noopDelegate);
  }

  /** @internal */
  startSpan(name: string, attributes: TelemetryAttributes, kind = SPAN_KIND_CLIENT): SpanLike | undefined {
    return this.#tracer?.startSpan(name, { kind, attributes });
  }

  /** @internal runs `fn` with `span` as the active span, so that spans started inside it are its children */
  withSpan<T>(span: SpanLike, fn: () => T): T {
    const api = this.#api;
    return api ? api.context.with(api.trace.setSpan(api.context.active(), span), fn) : fn();
  }

  /** @internal */
  recordDuration(seconds: number, attributes: TelemetryAttributes): void {
    this.#duration?.record(seconds, attributes);
  }
}

/**
 * One kind of operation of one store: its span name and fixed attributes, built once, so that a
 * call costs a span start and a histogram record, and nothing more while no SDK is listening.
 */
export class Operation {
  readonly #telemetry: Telemetry;
  readonly name: string;
  /** The span's attributes at start (also the metric's, with the operation name). */
  readonly #attributes: TelemetryAttributes;
  /** A database call's histogram attributes; none for the processing of a consumed event (no `db.client` metric). */
  readonly #metric: TelemetryAttributes | undefined;
  readonly #kind: number;

  constructor(telemetry: Telemetry, name: string, attributes: TelemetryAttributes, kind: 'client' | 'consumer' = 'client') {
    this.#telemetry = telemetry;
    this.name = name;
    this.#kind = kind === 'client' ? SPAN_KIND_CLIENT : SPAN_KIND_CONSUMER;
    if (kind === 'consumer') {
      this.#attributes = Object.freeze({ ...telemetry.common, ...attributes });
      this.#metric = undefined;
      return;
    }
    this.#attributes = Object.freeze({
      ...telemetry.common,
      'db.system': 'redis',
      'db.operation.name': name,
      ...attributes,
    });
    const { 'db.system': _, ...metric } = this.#attributes;
    this.#metric = Object.freeze(metric);
  }

  /**
   * Runs `fn` in a span (a child of the active one); `fn` gets the span while it is recording
   * (undefined otherwise: skip the attribute work) to add what it learns (hit, result count). A
   * failure sets the span's status and `error.type` to the error's code, never its message.
   * `describe`, when given, adds attributes from the result to a recording span: with it `fn` need
   * not be an async wrapper of its own, so that with nothing listening the call is `fn()` alone.
   */
  run<T>(fn: (span: SpanLike | undefined) => Promise<T>, describe?: (span: SpanLike, result: T) => void): Promise<T> {
    const telemetry = this.#telemetry;
    // Nothing listening (telemetry off, or no SDK registered): the call as it is, not even a non-recording span.
    if (!telemetry.enabled) return fn(undefined);
    const tracing = telemetry.tracing();
    if (!tracing && (!telemetry.measuring || this.#metric === undefined)) return fn(undefined);
    return this.#observed(fn, tracing, describe);
  }

  async #observed<T>(
    fn: (span: SpanLike | undefined) => Promise<T>,
    tracing: boolean,
    describe: ((span: SpanLike, result: T) => void) | undefined,
  ): Promise<T> {
    const telemetry = this.#telemetry;
    const span = tracing ? telemetry.startSpan(this.name, this.#attributes, this.#kind) : undefined;
    const live = span?.isRecording() ? span : undefined;
    const started = performance.now();
    try {
      const result = await (live ? telemetry.withSpan(live, () => fn(live)) : fn(undefined));
      if (live && describe) describe(live, result);
      if (this.#metric) telemetry.recordDuration((performance.now() - started) / 1000, this.#metric);
      return result;
    } catch (error) {
      const type = errorType(error);
      if (live) {
        live.setAttribute('error.type', type);
        live.setStatus({ code: STATUS_ERROR, message: type });
      }
      if (this.#metric) telemetry.recordDuration((performance.now() - started) / 1000, { ...this.#metric, 'error.type': type });
      throw error;
    } finally {
      span?.end();
    }
  }
}

/**
 * `server.address` and `server.port` of an endpoint as the connection describes it
 * (`redis://host:port`, a cluster's first seed node followed by ` (cluster)`).
 */
export function serverAttributes(endpoint: string): TelemetryAttributes {
  try {
    const url = new URL(endpoint.split(' ')[0]!);
    const port = Number(url.port || (url.protocol === 'rediss:' ? 6380 : 6379));
    return { 'db.system.name': 'redis', 'server.address': url.hostname.replace(/^\[|\]$/g, ''), 'server.port': port };
  } catch {
    return { 'db.system.name': 'redis' };
  }
}

/**
 * The Telemetry of a memory, from its `telemetry` option: `false` → off; else the given providers,
 * or the globals of `@opentelemetry/api` (loaded now, so that users without it never load it). Without
 * the package and without providers: off. `load` is the import (replaced in tests).
 */
export async function openTelemetry(
  option: z.output<typeof TelemetryOptionSchema> | undefined,
  endpoint: string,
  load: () => Promise<unknown> = () => import('@opentelemetry/api'),
): Promise<Telemetry> {
  if (option === false) return Telemetry.off;
  let api: ApiLike | undefined;
  try {
    const loaded = (await load()) as ApiLike & { default?: ApiLike };
    api = loaded.trace ? loaded : loaded.default;
  } catch {
    api = undefined; // not installed: only explicit providers can be used
  }
  const tracerProvider = option?.tracerProvider ?? api?.trace.getTracerProvider();
  const meterProvider = option?.meterProvider ?? api?.metrics.getMeterProvider();
  if (!tracerProvider && !meterProvider) return Telemetry.off;
  let meter = meterProvider?.getMeter(LIBRARY, LIBRARY_VERSION);
  // The API's no-op meter (no SDK registered) records nothing: leave it out, and its per-call work with it.
  if (meter && api && meter.constructor === api.createNoopMeter().constructor) meter = undefined;
  // The API's global proxy before any SDK: checked at each call (one property read), so an SDK registered later is used.
  const proxy =
    api && tracerProvider && typeof (tracerProvider as Partial<ProxyLike>).getDelegate === 'function'
      ? { provider: tracerProvider as unknown as ProxyLike, noop: new api.ProxyTracerProvider().getDelegate() }
      : undefined;
  return new Telemetry(tracerProvider?.getTracer(LIBRARY, LIBRARY_VERSION), meter, api, serverAttributes(endpoint), proxy);
}
