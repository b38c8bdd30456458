// Redis-side cost of an operation, read off the server: round trips (commands clients sent, seen by
// MONITOR, which tags the commands a Lua script runs as `lua` so they are left out; a MULTI … EXEC
// block counts once) and server calls (INFO commandstats, which counts those script commands too).
// Run on a server nothing else uses while it measures; figures are per operation, over `n` runs.
import { createClient } from 'redis';
import type { RedisConnection } from '../../src/connection/connect.js';
import { figure, type Figure } from './report.js';

export interface ServerCost {
  roundTrips: number;
  serverCalls: number;
}

function totalCalls(info: string): number {
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== 'info') calls += Number(match[2]);
  return calls;
}

/** Runs `fn(i)` n times, one after another, and returns what each run cost the server. */
export async function serverCost(
  connection: RedisConnection,
  url: string,
  fn: (i: number) => Promise<unknown>,
  n: number,
): Promise<ServerCost> {
  const monitor = createClient({ url, RESP: 2 });
  await monitor.connect();
  let sent = 0;
  let measuring = false;
  const inMulti = new Set<string>();
  await monitor.monitor((line: string) => {
    const match = /^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
    if (!measuring || !match || match[1] === 'lua') return;
    const [, client = '', command = ''] = match;
    const name = command.toUpperCase();
    if (name === 'INFO') return;
    // A MULTI … EXEC block is written at once and answered at once: one round trip.
    if (name === 'MULTI') inMulti.add(client);
    else if (name === 'EXEC' || name === 'DISCARD') {
      inMulti.delete(client);
      return;
    }
    if (!inMulti.has(client) || name === 'MULTI') sent++;
  });
  await fn(-1); // scripts loaded, connections made
  const before = totalCalls(await connection.send<string>(['INFO', 'commandstats']));
  measuring = true;
  for (let i = 0; i < n; i++) await fn(i);
  const after = totalCalls(await connection.send<string>(['INFO', 'commandstats']));
  // MONITOR lines arrive asynchronously: a PING through the monitored server flushes them.
  const probe = await connection.send<string>(['ECHO', 'serverCost:end']);
  await new Promise((r) => setTimeout(r, 50));
  measuring = false;
  await monitor.close().catch(() => monitor.destroy());
  return { roundTrips: (sent - (probe ? 1 : 0)) / n, serverCalls: (after - before) / n };
}

/**
 * `<prefix>.round_trips` and `<prefix>.server_calls` (per operation) of `cases.ours`, with every
 * other case as a baseline; each case is measured alone, one after another, on the same server.
 */
export async function serverCostFigures(
  prefix: string,
  connection: RedisConnection,
  url: string,
  cases: { ours: (i: number) => Promise<unknown> } & Record<string, (i: number) => Promise<unknown>>,
  n: number,
): Promise<Figure[]> {
  const costs: Record<string, ServerCost> = {};
  for (const [name, fn] of Object.entries(cases)) costs[name] = await serverCost(connection, url, fn, n);
  const others = (pick: (c: ServerCost) => number) =>
    Object.fromEntries(
      Object.entries(costs)
        .filter(([k]) => k !== 'ours')
        .map(([k, c]) => [k, pick(c)]),
    );
  return [
    figure(
      `${prefix}.round_trips`,
      'calls',
      'lower',
      costs.ours!.roundTrips,
      others((c) => c.roundTrips),
      'round trips per operation (MONITOR; a MULTI block is one)',
    ),
    figure(
      `${prefix}.server_calls`,
      'calls',
      'lower',
      costs.ours!.serverCalls,
      others((c) => c.serverCalls),
      'commands run per operation, scripts included (INFO commandstats)',
    ),
  ];
}
