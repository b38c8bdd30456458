// A consumer of the event backbone: reads every partition in a consumer group, hands each event to
// the handler (events of one user in order, at most `concurrency` at once), acknowledges what was
// handled, takes over what dead consumers left pending, and dead-letters what keeps failing.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { RedisCommandError } from '../errors.js';
import { decodeEvent, type EventLog, infoOf, type RawEntry } from './event-log.js';
import { type AgentEvent, type Consumer, type ConsumeOptionsSchema, type EventHandler, isUserEvent } from './types.js';
import { asErr } from '../observe/logger.js';
import type { Operation } from '../observe/telemetry.js';

type Options = z.output<typeof ConsumeOptionsSchema>;

/** How often the partition list is read again (new users bring new partitions). */
const DISCOVER_MS = 2_000;
/** How often, at most, held events are renewed and others' stale ones claimed (handed-back events wait at most this). */
const CLAIM_EVERY_MS = 5_000;
/** How often consumers gone for good are looked for (one XINFO CONSUMERS per partition). */
const REAP_EVERY_MS = 300_000;
/** Partitions one blocking read covers, at most (more: non-blocking reads, one per partition). */
const BLOCKING_KEYS = 1_000;
const MAX_ERROR_CHARS = 1_000;
/** Where stop() hands back events it read but did not start, marked idle for a day: any consumer's next claim takes them. */
const HANDED_BACK = 'handed-back';
const HANDED_BACK_IDLE_MS = 86_400_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One event read and not yet acknowledged: where it sits, and whether its handler has started. */
interface Held {
  stream: string;
  event: AgentEvent | null;
  fields: string[];
  started: boolean;
}

export class EventConsumer implements Consumer {
  readonly counts = { handled: 0, deadLettered: 0, failures: 0 };
  readonly #connection: RedisConnection;
  readonly #log: EventLog;
  readonly #handler: EventHandler;
  readonly #o: Options;
  readonly #types: Set<string> | undefined;
  #stopping = false;
  #loop: Promise<void> = Promise.resolve();
  #reader: RedisConnection | undefined;
  #partitions: number[] = [];
  readonly #grouped = new Set<number>();
  #discoveredAt = 0;
  #claimedAt = 0;
  #reapedAt = 0;
  /** Read and not acknowledged, by `<stream> <id>`. */
  readonly #held = new Map<string, Held>();
  /** Per user (or cache partition: {@link orderOf}), the tail of the chain its events run on (one at a time, in order). */
  readonly #chains = new Map<string, Promise<void>>();
  #wake: (() => void) | undefined;
  /** Acknowledgements waiting for this tick's XACK, by stream. */
  readonly #acks = new Map<string, { ids: string[]; done: Promise<void> }>();
  /** When this consumer started: where a group `from: 'latest'` starts on every partition, found now or later. */
  readonly #startedAt = Date.now();
  /** Handlers running, and the ones waiting for a slot (concurrency). */
  #running = 0;
  readonly #slots: (() => void)[] = [];

  private constructor(
    connection: RedisConnection,
    log: EventLog,
    readonly group: string,
    handler: EventHandler,
    options: Options,
  ) {
    this.#connection = connection;
    this.#log = log;
    this.#handler = handler;
    this.#o = options;
    this.#types = options.types ? new Set(options.types) : undefined;
    this.name = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    // The messaging conventions' consumer span: one per event handled, all its attempts inside.
    this.#process = connection.telemetry.operation(
      'events.process',
      { 'messaging.system': 'redis', 'messaging.operation.type': 'process', 'messaging.consumer.group.name': group },
      'consumer',
    );
  }

  readonly #process: Operation;

  readonly name: string;

  static start(connection: RedisConnection, log: EventLog, group: string, handler: EventHandler, options: Options): EventConsumer {
    const consumer = new EventConsumer(connection, log, group, handler, options);
    consumer.#loop = consumer.#run();
    // The group's lag, read (EventLog.stats: a few round trips) only when the metrics are collected.
    consumer.#unobserve = connection.telemetry.gauge(
      'agent_memory.events.lag',
      { description: 'Events of the consumer group not read yet, over every partition', unit: '{event}' },
      async (record) => {
        const { lag } = await log.stats(group).catch(() => ({ lag: null }));
        if (lag !== null) record(lag, { 'agent_memory.events.group': group });
      },
    );
    return consumer;
  }

  #unobserve: () => void = () => undefined;
  /** The delivery-lag attributes per event type (a fixed set of names), made once each. */
  readonly #deliveredAttributes = new Map<string, Readonly<Record<string, string | number | boolean>>>();

  #delivered(type: string): Readonly<Record<string, string | number | boolean>> {
    let attributes = this.#deliveredAttributes.get(type);
    if (!attributes) {
      attributes = Object.freeze({
        ...this.#connection.telemetry.common,
        'agent_memory.events.group': this.group,
        'agent_memory.events.type': type,
      });
      this.#deliveredAttributes.set(type, attributes);
    }
    return attributes;
  }

  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopping) return this.#loop;
    this.#stopping = true;
    this.#unobserve();
    this.#wake?.();
    await this.#loop;
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while ([...this.#held.values()].some((h) => h.started) && Date.now() < deadline) await sleep(10);
    await this.#handBack();
    await this.#reader?.close();
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#o.concurrency) this.#running++;
    else await new Promise<void>((resolve) => this.#slots.push(resolve)); // the releaser hands its slot over
  }

  #release(): void {
    const next = this.#slots.shift();
    if (next) next();
    else this.#running--;
  }

  /** Forgets a held event (acknowledged, or given up) and wakes the loop: there is room to read again. */
  #letGo(key: string): void {
    this.#held.delete(key);
    this.#wake?.();
  }

  /** Room for more events: at most 2 × concurrency held (read, not acknowledged). */
  #room(): number {
    return this.#o.concurrency * 2 - this.#held.size;
  }

  async #run(): Promise<void> {
    let idle = 10;
    while (!this.#stopping) {
      try {
        if (this.#partitions.length === 0 || Date.now() - this.#discoveredAt >= DISCOVER_MS) await this.#discover();
        if (this.#partitions.length === 0) {
          await this.#pause(Math.min(this.#o.blockMs, DISCOVER_MS));
          continue;
        }
        if (Date.now() - this.#claimedAt >= Math.min(this.#o.claimIdleMs / 3, CLAIM_EVERY_MS)) await this.#claim();
        const room = this.#room();
        if (room <= 0) {
          await this.#pause(this.#o.blockMs);
          continue;
        }
        // COUNT applies per stream: share the room out, so one read holds at most max(room, partitions).
        const got = await this.#read(Math.max(1, Math.min(this.#o.batch, Math.floor(room / this.#partitions.length))));
        if (got > 0 || this.#blocking()) idle = 10;
        else {
          await this.#pause(idle);
          idle = Math.min(idle * 2, this.#o.blockMs);
        }
      } catch (error) {
        if (this.#stopping) break;
        // A partition stream that vanished (evicted, deleted) took its group with it: create the groups again.
        if (error instanceof RedisCommandError && error.message.includes('NOGROUP')) {
          this.#grouped.clear();
          this.#discoveredAt = 0;
          continue;
        }
        this.#report(error as Error);
        await this.#pause(Math.min(1_000, this.#o.blockMs));
      }
    }
  }

  /** Waits `ms`, or until a handler frees room or stop() is called. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  #report(error: Error): void {
    if (this.#o.onError) this.#o.onError(error);
    else
      this.#connection.logger.error(
        { component: 'events', group: this.group, consumer: this.name, err: error },
        `event consumer ${this.group}/${this.name} failed`,
      );
  }

  /** Reads the partition list, and creates the group on partitions it has not been created on yet. */
  async #discover(): Promise<void> {
    this.#partitions = await this.#log.partitions();
    this.#discoveredAt = Date.now();
    const fresh = this.#partitions.filter((p) => !this.#grouped.has(p));
    await Promise.all(
      fresh.map(async (slot) => {
        const stream = this.#log.keys.stream(slot);
        const start = this.#o.from === 'latest' ? `${this.#startedAt}-0` : '0';
        try {
          await this.#connection.send(['XGROUP', 'CREATE', stream, this.group, start, 'MKSTREAM'], { key: stream });
        } catch (error) {
          if (!(error instanceof RedisCommandError && error.message.includes('BUSYGROUP'))) throw error;
        }
        this.#grouped.add(slot);
      }),
    );
  }

  /** Standalone servers take one blocking read over every partition; a cluster (or very many partitions) is polled. */
  #blocking(): boolean {
    return this.#connection.mode === 'single' && this.#partitions.length <= BLOCKING_KEYS;
  }

  /** Reads new events (up to `count` per partition) and dispatches them; how many came. */
  async #read(count: number): Promise<number> {
    const streams = this.#partitions.map((p) => this.#log.keys.stream(p));
    const head = ['XREADGROUP', 'GROUP', this.group, this.name, 'COUNT', String(count)];
    let replies: unknown[];
    if (this.#blocking()) {
      this.#reader ??= await this.#connection.duplicate({ role: 'blocking-reader', name: `${this.group}/${this.name}` });
      // The read must end before the command deadline, or it would count as a timeout.
      const block = Math.max(1, Math.min(this.#o.blockMs, this.#connection.config.commandTimeoutMs - 250));
      const args = [...head, 'BLOCK', String(block), 'STREAMS', ...streams, ...streams.map(() => '>')];
      replies = [await this.#reader.send(args, { key: streams[0] })];
    } else {
      replies = await Promise.all(streams.map((s) => this.#connection.send([...head, 'STREAMS', s, '>'], { key: s })));
    }
    let got = 0;
    for (const reply of replies) {
      for (const [stream, entries] of streamsOf(reply)) {
        for (const entry of entries) {
          got++;
          this.#dispatch(stream, entry);
        }
      }
    }
    return got;
  }

  /**
   * First renews what this consumer holds (so no one takes over a live consumer's events), then
   * takes over events pending with any consumer for longer than claimIdleMs (XAUTOCLAIM), as room
   * allows; those delivered more than maxDeliveries times (their consumers died on them) go to the
   * dead letters. Consumers gone for long with nothing pending are removed from the group.
   */
  async #claim(): Promise<void> {
    this.#claimedAt = Date.now();
    const reap = this.#claimedAt - this.#reapedAt >= REAP_EVERY_MS;
    if (reap) this.#reapedAt = this.#claimedAt;
    await this.#renew();
    await Promise.all(
      this.#partitions.map(async (slot) => {
        const stream = this.#log.keys.stream(slot);
        let cursor = '0-0';
        for (let page = 0; page < 10 && this.#room() > 0; page++) {
          const count = Math.min(this.#o.batch, this.#room());
          const [next, entries] = await this.#connection.send<[string, RawEntry[], string[]?]>(
            ['XAUTOCLAIM', stream, this.group, this.name, String(this.#o.claimIdleMs), cursor, 'COUNT', String(count)],
            { key: stream },
          );
          const taken = entries.filter((e) => !this.#held.has(`${stream} ${e[0]}`));
          if (taken.length > 0) {
            const deliveries = await this.#deliveries(stream, taken);
            for (const entry of taken) {
              const n = deliveries.get(entry[0]) ?? 1;
              if (n > this.#o.maxDeliveries) {
                const held = this.#hold(stream, entry);
                await this.#deadLetter(
                  stream,
                  entry[0],
                  held,
                  `delivered ${n} times without being acknowledged (its consumers died or stalled)`,
                  0,
                );
              } else this.#dispatch(stream, entry);
            }
          }
          if (next === '0-0') break;
          cursor = next;
        }
        if (reap) await this.#reap(stream);
      }),
    );
  }

  /** The ids of `stream` this consumer holds, by stream. */
  #heldBy(filter: (h: Held) => boolean = () => true): Map<string, string[]> {
    const byStream = new Map<string, string[]>();
    for (const [key, held] of this.#held) {
      if (!filter(held)) continue;
      const id = key.slice(held.stream.length + 1);
      const ids = byStream.get(held.stream);
      if (ids) ids.push(id);
      else byStream.set(held.stream, [id]);
    }
    return byStream;
  }

  /** Of `ids`, those still pending with this consumer in `stream` (another may have taken some over). */
  async #owned(stream: string, ids: readonly string[]): Promise<string[]> {
    const sorted = [...ids].sort(compareIds);
    const rows = await this.#connection.send<[string, string, number, number][]>(
      ['XPENDING', stream, this.group, sorted[0]!, sorted.at(-1)!, String(ids.length), this.name],
      { key: stream, readonly: true },
    );
    const mine = new Set(rows.map((r) => r[0]));
    return ids.filter((id) => mine.has(id));
  }

  /**
   * Resets the idle time of every event this consumer holds (XCLAIM … JUSTID, which leaves the
   * delivery count alone), so that a live consumer's backlog is never taken over or counted as a
   * delivery that failed. Events another consumer took over meanwhile and not started here are let go.
   */
  async #renew(): Promise<void> {
    await Promise.all(
      [...this.#heldBy()].map(async ([stream, ids]) => {
        const owned = await this.#owned(stream, ids);
        if (owned.length > 0) {
          await this.#connection.send(['XCLAIM', stream, this.group, this.name, '0', ...owned, 'JUSTID'], { key: stream });
        }
        const kept = new Set(owned);
        for (const id of ids) {
          const held = this.#held.get(`${stream} ${id}`);
          if (held && !held.started && !kept.has(id)) this.#held.delete(`${stream} ${id}`);
        }
      }),
    );
  }

  /** Removes consumers (not this one) with nothing pending that have not been seen for 10 × claimIdleMs (at least 10 minutes). */
  async #reap(stream: string): Promise<void> {
    const gone = Math.max(10 * this.#o.claimIdleMs, 600_000);
    const consumers = await this.#connection.send<unknown[]>(['XINFO', 'CONSUMERS', stream, this.group], { key: stream, readonly: true });
    for (const raw of consumers) {
      const c = infoOf(raw);
      const name = String(c.get('name'));
      if (name === this.name || Number(c.get('pending')) > 0 || Number(c.get('idle')) < gone) continue;
      await this.#connection.send(['XGROUP', 'DELCONSUMER', stream, this.group, name], { key: stream });
    }
  }

  /** How often each of `entries` (now pending with this consumer) was delivered. */
  async #deliveries(stream: string, entries: readonly RawEntry[]): Promise<Map<string, number>> {
    const first = entries[0]![0];
    const last = entries.at(-1)![0];
    const rows = await this.#connection.send<[string, string, number, number][]>(
      ['XPENDING', stream, this.group, first, last, String(entries.length + this.#held.size), this.name],
      { key: stream, readonly: true },
    );
    return new Map(rows.map((r) => [r[0], Number(r[3])]));
  }

  #hold(stream: string, entry: RawEntry): Held {
    const slot = this.#log.keys.partitionOf(stream);
    const fields = entry[1] ?? [];
    const held: Held = { stream, event: entry[1] ? decodeEvent(slot, entry[0], entry[1]) : null, fields, started: false };
    this.#held.set(`${stream} ${entry[0]}`, held);
    return held;
  }

  /** Queues an entry on its user's chain (or acknowledges it unseen: not an event, or a type not asked for). */
  #dispatch(stream: string, entry: RawEntry): void {
    const held = this.#hold(stream, entry);
    const event = held.event;
    if (event === null || (this.#types && !this.#types.has(event.type))) {
      const key = `${stream} ${entry[0]}`;
      this.#ack(stream, entry[0]).then(
        () => this.#letGo(key),
        (error: Error) => {
          this.#letGo(key);
          this.#report(error);
        },
      );
      return;
    }
    const order = orderOf(event);
    const chain = (this.#chains.get(order) ?? Promise.resolve()).then(() => this.#handle(stream, event, held));
    this.#chains.set(order, chain);
    void chain.finally(() => {
      if (this.#chains.get(order) === chain) this.#chains.delete(order);
    });
  }

  /** Runs the handler with retries; acknowledges on success, dead-letters after maxAttempts. Never rejects. */
  async #handle(stream: string, event: AgentEvent, held: Held): Promise<void> {
    if (this.#stopping) return; // not started: handed back by stop()
    await this.#acquire();
    if (this.#stopping || !this.#held.has(`${stream} ${event.id}`)) {
      this.#release(); // stopping (handed back), or let go to the consumer that took it over
      return;
    }
    held.started = true;
    this.#connection.telemetry.eventDelivered((Date.now() - event.at) / 1000, this.#delivered(event.type));
    try {
      await this.#process.run(
        async (span) => {
          span?.setAttribute('messaging.destination.partition.id', String(this.#log.keys.partitionOf(stream)));
          span?.setAttribute('agent_memory.events.type', event.type);
          return this.#attempt(stream, event, held);
        },
        (span, { attempts, deadLettered }) => {
          span.setAttribute('agent_memory.events.attempts', attempts);
          if (deadLettered) {
            span.setAttribute('error.type', 'DEAD_LETTERED');
            span.setStatus({ code: 2, message: 'DEAD_LETTERED' });
          }
        },
      );
    } finally {
      this.#release();
      this.#wake?.();
    }
  }

  /** The handler's attempts at `event`, then its acknowledgement or dead letter; says how many attempts, and whether it was dead-lettered. */
  async #attempt(stream: string, event: AgentEvent, held: Held): Promise<{ attempts: number; deadLettered: boolean }> {
    let lastError: Error | undefined;
    let attempts = 0;
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      attempts = attempt;
      try {
        await this.#handler(event);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = asErr(error);
        this.counts.failures++;
        if (attempt < this.#o.maxAttempts) await sleep(Math.min(50 * 2 ** (attempt - 1), 2_000));
      }
    }
    try {
      if (lastError) await this.#deadLetter(stream, event.id, held, lastError.message, this.#o.maxAttempts);
      else {
        // Not awaited: the user's next event starts now; this one is let go once its XACK is written.
        const key = `${stream} ${event.id}`;
        this.#ack(stream, event.id).then(
          () => {
            this.counts.handled++;
            this.#letGo(key);
          },
          (error: Error) => {
            this.#letGo(key); // not acknowledged: it stays pending and is claimed again later
            this.#report(error);
          },
        );
      }
    } catch (error) {
      // Not acknowledged: it stays pending and is claimed again after claimIdleMs.
      this.#letGo(`${stream} ${event.id}`);
      this.#report(error as Error);
    }
    return { attempts, deadLettered: lastError !== undefined };
  }

  /**
   * Acknowledges `id`: the acknowledgements of one tick go out as one XACK per stream (idempotent,
   * so harmless if late). The caller lets go of the event once it resolves.
   */
  #ack(stream: string, id: string): Promise<void> {
    let batch = this.#acks.get(stream);
    if (!batch) {
      const ids: string[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.#acks.delete(stream);
        await this.#connection.send(['XACK', stream, this.group, ...ids], { key: stream, harmlessIfLate: true });
      });
      batch = { ids, done };
      this.#acks.set(stream, batch);
    }
    batch.ids.push(id);
    return batch.done;
  }

  /** Copies the event, with why, to the group's dead-letter stream, then acknowledges it (so a crash in between leaves a copy twice, never none). */
  async #deadLetter(stream: string, id: string, held: Held, error: string, attempts: number): Promise<void> {
    const dead = this.#log.keys.deadLetters(this.group);
    const why = error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error;
    const slot = String(this.#log.keys.partitionOf(stream));
    const fields = [...held.fields, 'partition', slot, 'entry', id, 'error', why, 'attempts', String(attempts)];
    await this.#connection.send(['XADD', dead, 'MAXLEN', '~', String(this.#log.config.maxLen), '*', ...fields], { key: dead });
    await this.#ack(stream, id);
    this.counts.deadLettered++;
    this.#letGo(`${stream} ${id}`);
    this.#connection.logger.warn(
      { component: 'events', group: this.group, consumer: this.name, partition: Number(slot), entry: id, attempts },
      `event ${id} of partition ${slot} went to the dead letters of ${this.group} after ${attempts} attempts`,
    );
  }

  /**
   * Events read but not started go back to the group at once: to the consumer `handed-back`,
   * marked idle for a day, so any consumer's next claim takes them. Then, when nothing is left
   * pending with it, this consumer leaves the group on every partition.
   */
  async #handBack(): Promise<void> {
    const unstarted = this.#heldBy((h) => !h.started);
    await Promise.all(
      [...unstarted].map(async ([stream, ids]) => {
        const owned = await this.#owned(stream, ids);
        if (owned.length === 0) return;
        const idle = String(HANDED_BACK_IDLE_MS);
        await this.#connection.send(['XCLAIM', stream, this.group, HANDED_BACK, '0', ...owned, 'IDLE', idle, 'JUSTID'], { key: stream });
        for (const id of owned) this.#held.delete(`${stream} ${id}`);
      }),
    ).catch((error: Error) => this.#report(error));
    if (this.#held.size > 0) return; // handlers still running past the timeout: keep the name and its pending list
    await Promise.all(
      [...this.#grouped].map((slot) => {
        const stream = this.#log.keys.stream(slot);
        return this.#connection.send(['XGROUP', 'DELCONSUMER', stream, this.group, this.name], { key: stream });
      }),
    ).catch((error: Error) => this.#report(error));
  }
}

/**
 * What an event is ordered with: the events of one user run one at a time, in order; a cache's
 * events (no user) likewise per cache and partition, so they neither wait on one chain for all
 * caches nor on any user's.
 */
function orderOf(event: AgentEvent): string {
  return isUserEvent(event) ? `u\u0000${event.tenant}\u0000${event.userId}` : `c\u0000${event.cache}\u0000${event.partition}`;
}

/** Stream ids in order (`<ms>-<seq>`, compared as numbers). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
}

/** An XREADGROUP reply (RESP3: a map of stream → entries, as an object or a Map; RESP2: [[stream, entries], …]; null: nothing) as pairs. */
function streamsOf(reply: unknown): [string, RawEntry[]][] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...(reply as Map<string, RawEntry[]>)];
  if (Array.isArray(reply)) return reply as [string, RawEntry[]][];
  return Object.entries(reply as Record<string, RawEntry[]>);
}
