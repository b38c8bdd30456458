// Redis-side cost of an operation, read off the server: round trips (commands a client sent, seen
// by MONITOR, which tags the commands a Lua script runs as `lua` so they are left out) and server
// calls (INFO commandstats, which counts those script commands too). Run on a server nothing else
// uses while it measures; the figures are per operation, averaged over `n` sequential runs.
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
export async function serverCost(connection: RedisConnection, url: string, fn: (i: number) => Promise<unknown>, n: number): Promise<ServerCost> {
  const monitor = createClient({ url, RESP: 2 });
  await monitor.connect();
  let sent = 0;
  let measuring = false;
  await monitor.monitor((line: string) => {
    if (measuring && !/ \[\d+ lua\] /.test(line) && !/"(?:info|INFO)"/.test(line)) sent++;
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

/** `<prefix>.round_trips` and `<prefix>.server_calls` figures (per operation; no baselines). */
export async function serverCostFigures(prefix: string, connection: RedisConnection, url: string, fn: (i: number) => Promise<unknown>, n: number): Promise<Figure[]> {
  const cost = await serverCost(connection, url, fn, n);
  return [
    figure(`${prefix}.round_trips`, 'calls', 'lower', cost.roundTrips, {}, 'commands sent per operation (MONITOR)'),
    figure(`${prefix}.server_calls`, 'calls', 'lower', cost.serverCalls, {}, 'commands run per operation, scripts included (INFO commandstats)'),
  ];
}
