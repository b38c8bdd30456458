// Runs an operation a fixed number of times at a given concurrency and records every latency, so
// percentiles are exact. Implementations are compared in interleaved rounds whose order rotates
// (A B C, B C A, C A B, …) and each keeps its median round: drift and order effects on a noisy
// machine hit every side alike.

export interface Sample {
  ops: number;
  concurrency: number;
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** With `compare`: every round's sample of this case, in round order (the figure is their median). */
  rounds?: Sample[];
}

export interface RunOptions {
  ops: number;
  concurrency: number;
  warmup?: number;
}

/** `fn(i)` is called `ops` times, by `concurrency` workers at once. */
export async function measure(
  fn: (i: number) => Promise<unknown>,
  { ops, concurrency, warmup = Math.min(200, ops) }: RunOptions,
): Promise<Sample> {
  await runWorkers(fn, warmup, concurrency, null);
  const latencies = new Float64Array(ops);
  const started = performance.now();
  await runWorkers(fn, ops, concurrency, latencies);
  const elapsed = performance.now() - started;
  latencies.sort();
  const pct = (p: number) => latencies[Math.min(ops - 1, Math.floor((p / 100) * ops))]!;
  return { ops, concurrency, opsPerSec: (ops / elapsed) * 1000, p50Ms: pct(50), p95Ms: pct(95), p99Ms: pct(99) };
}

async function runWorkers(fn: (i: number) => Promise<unknown>, ops: number, concurrency: number, latencies: Float64Array | null) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ops; i = next++) {
      const t0 = performance.now();
      await fn(i);
      if (latencies) latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker));
}

/**
 * Measures every case in `rounds` interleaved, rotating rounds; each case keeps its median round by
 * throughput, with every round attached (`rounds`) so a report can give the spread of per-round
 * ratios. Seven rounds by default: enough that two runs of the bench agree on a ratio's median.
 */
export async function compare<K extends string>(
  cases: Record<K, (i: number) => Promise<unknown>>,
  options: RunOptions,
  rounds = 7,
): Promise<Record<K, Sample>> {
  const names = Object.keys(cases) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as Sample[]])) as unknown as Record<K, Sample[]>;
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length]!;
      samples[name].push(await measure(cases[name], options));
    }
  }
  return Object.fromEntries(
    (Object.keys(samples) as K[]).map((k) => {
      const inOrder = samples[k];
      const median = [...inOrder].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(rounds / 2)]!;
      return [k, { ...median, rounds: inOrder }];
    }),
  ) as Record<K, Sample>;
}
