// A real OpenTelemetry SDK for the telemetry suites: a tracer provider exporting to memory and a
// meter provider read on demand, passed to createAgentMemory through its `telemetry` option.
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** One metric data point, flattened: the instrument's name, the point's attributes and value. */
export interface Point {
  name: string;
  attributes: Record<string, unknown>;
  /** A counter's sum, a gauge's value, or a histogram's `{ count, sum }`. */
  value: unknown;
}

export interface Otel {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  spans(): ReadableSpan[];
  /** The spans named `name`, oldest first. */
  named(name: string): ReadableSpan[];
  /** Every data point of a collection made now (cumulative since the start). */
  points(): Promise<Point[]>;
  reset(): void;
  shutdown(): Promise<void>;
}

export function otel(): Otel {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Read only when asked (forceFlush): an interval longer than any test.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: () => spanExporter.getFinishedSpans(),
    named: (name) => spanExporter.getFinishedSpans().filter((s) => s.name === name),
    points: async () => {
      metricExporter.reset();
      await reader.forceFlush();
      const points: Point[] = [];
      for (const resource of metricExporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            for (const point of metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]) {
              points.push({ name: metric.descriptor.name, attributes: point.attributes, value: point.value });
            }
          }
        }
      }
      return points;
    },
    reset: () => spanExporter.reset(),
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/** Every attribute value of every span (and its events) and of every metric point, as strings. */
export function everyAttributeValue(spans: ReadableSpan[], points: Point[]): string[] {
  const values: string[] = [];
  const add = (attributes: Record<string, unknown> | undefined) => {
    for (const [key, value] of Object.entries(attributes ?? {})) values.push(`${key}=${String(value)}`);
  };
  for (const span of spans) {
    values.push(span.name, span.status.message ?? '');
    add(span.attributes);
    for (const event of span.events) add(event.attributes);
  }
  for (const point of points) add(point.attributes);
  return values;
}
