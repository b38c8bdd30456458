// A LangGraph checkpointer on the core checkpoint store: it serializes with LangGraph's serde and
// maps configs, tuples and writes onto CheckpointStore calls. It never talks to Redis itself.
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { isDeepStrictEqual } from 'node:util';
import { InvalidArgumentError, type AgentMemory, type CheckpointStore, type StoredCheckpoint, type TypedValue } from '../../src/index.js';
import type { CheckpointStoreOptions } from '../../src/entries/checkpoint.js';
import { openFromClient, openFromUrl, type NodeRedisClient, type OpenFrom } from './open-memory.js';

/** Options of {@link AgentMemoryCheckpointer.fromUrl} and {@link AgentMemoryCheckpointer.fromClient}. */
export interface CheckpointerFactoryOptions extends OpenFrom {
  /** The checkpoint store's options (TTL, …), as `memory.checkpoints(options)` takes them. */
  checkpoints?: CheckpointStoreOptions;
  serde?: SerializerProtocol;
}

/**
 * @example
 * const checkpointer = new AgentMemoryCheckpointer(memory.checkpoints({ ttl: { mode: 'sliding', seconds: 86_400 } }));
 * const graph = workflow.compile({ checkpointer });
 */
export class AgentMemoryCheckpointer extends BaseCheckpointSaver {
  /** The agent memory a factory opened for this checkpointer; {@link end} closes it. */
  #owned: AgentMemory | undefined;

  constructor(
    readonly store: CheckpointStore,
    serde?: SerializerProtocol,
  ) {
    super(serde);
  }

  /**
   * A checkpointer with a connection of its own, as LangGraph's savers are made from a connection
   * string. Close it with {@link end}.
   *
   * @example const checkpointer = await AgentMemoryCheckpointer.fromUrl('redis://localhost:6379', { checkpoints: { ttl: { mode: 'sliding', seconds: 86_400 } } });
   */
  static async fromUrl(url: string, options: CheckpointerFactoryOptions = {}): Promise<AgentMemoryCheckpointer> {
    return AgentMemoryCheckpointer.#over(await openFromUrl(url, options), options);
  }

  /**
   * A checkpointer on a node-redis client (or cluster) of yours, created with RESP3; {@link end}
   * leaves your client open.
   *
   * @example const checkpointer = await AgentMemoryCheckpointer.fromClient(await createClient({ url }).connect());
   */
  static async fromClient(client: NodeRedisClient, options: CheckpointerFactoryOptions = {}): Promise<AgentMemoryCheckpointer> {
    return AgentMemoryCheckpointer.#over(await openFromClient(client, options), options);
  }

  static #over(memory: AgentMemory, { checkpoints, serde }: CheckpointerFactoryOptions): AgentMemoryCheckpointer {
    const made = new AgentMemoryCheckpointer(memory.checkpoints(checkpoints), serde);
    made.#owned = memory;
    return made;
  }

  /** Closes what {@link fromUrl} or {@link fromClient} opened (a client of yours stays open); nothing for a checkpointer built on a store. */
  async end(): Promise<void> {
    await this.#owned?.close();
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) return undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const found = await this.store.get(threadId, ns, getCheckpointId(config) || undefined);
    return found && this.#toTuple(found);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let limit = options.limit;
    if (limit !== undefined && limit <= 0) return;
    const stored = this.store.list(config.configurable?.thread_id as string | undefined, {
      ns: config.configurable?.checkpoint_ns as string | undefined,
      id: (config.configurable?.checkpoint_id as string | undefined) || undefined,
      before: (before?.configurable?.checkpoint_id as string | undefined) || undefined,
      expected: filter && Object.keys(filter).length > 0 ? undefined : limit,
    });
    for await (const checkpoint of stored) {
      const metadata = (await this.#load(checkpoint.metadata)) as Record<string, unknown>;
      if (filter && !Object.entries(filter).every(([key, value]) => isDeepStrictEqual(metadata[key], value))) continue;
      yield await this.#toTuple(checkpoint, metadata as CheckpointMetadata);
      if (limit !== undefined && --limit <= 0) return;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = requireField(config, 'thread_id', 'put');
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const { channel_values: channelValues, ...rest } = copyCheckpoint(checkpoint);
    const values = await Promise.all(
      Object.entries(newVersions).map(async ([channel, version]) => ({
        channel,
        version,
        value: channel in channelValues && channelValues[channel] !== undefined ? await this.#dump(channelValues[channel]) : EMPTY,
      })),
    );
    await this.store.put(threadId, {
      ns,
      id: checkpoint.id,
      parentId: (config.configurable?.checkpoint_id as string | undefined) || undefined,
      checkpoint: await this.#dump({ ...rest, channel_values: {} }),
      metadata: await this.#dump(metadata),
      channelVersions: checkpoint.channel_versions,
      values,
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const threadId = requireField(config, 'thread_id', 'putWrites');
    const checkpointId = requireField(config, 'checkpoint_id', 'putWrites');
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const stored = await Promise.all(
      writes.map(async ([channel, value], idx) => ({
        taskId,
        idx: WRITES_IDX_MAP[channel] ?? idx,
        channel,
        taskPath,
        value: await this.#dump(value),
      })),
    );
    await this.store.putWrites(threadId, ns, checkpointId, stored);
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.store.deleteThread(threadId);
  }

  /**
   * Not part of LangGraph's interface: keeps the newest `keepLast` checkpoints of each namespace of
   * a thread and deletes the rest (their writes, and channel values nothing kept uses). History
   * (`getStateHistory`) then ends at the oldest kept checkpoint. Returns how many were deleted.
   */
  async pruneThread(threadId: string, keepLast: number): Promise<number> {
    return this.store.prune(threadId, { keepLast });
  }

  async #toTuple(stored: StoredCheckpoint, knownMetadata?: CheckpointMetadata): Promise<CheckpointTuple> {
    const checkpoint = (await this.#load(stored.checkpoint)) as Checkpoint;
    const versions = new Map(stored.values.map((v) => [v.channel, v]));
    const channelValues: Record<string, unknown> = {};
    for (const [channel, version] of Object.entries(checkpoint.channel_versions)) {
      const found = versions.get(channel);
      if (found && found.version === String(version) && found.value.type !== EMPTY.type)
        channelValues[channel] = await this.#load(found.value);
    }
    checkpoint.channel_values = channelValues;
    const { threadId, ns, id, parentId } = stored;
    if (checkpoint.v < 4 && parentId !== null) await this.#migratePendingSends(checkpoint, threadId, ns, parentId);
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } },
      checkpoint,
      metadata: knownMetadata ?? ((await this.#load(stored.metadata)) as CheckpointMetadata),
      pendingWrites: await this.#pendingWrites(stored),
    };
    if (parentId !== null) tuple.parentConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: parentId } };
    return tuple;
  }

  /** Writes in the order LangGraph applies them: (task path, task id, index). */
  async #pendingWrites(stored: StoredCheckpoint): Promise<CheckpointPendingWrite[]> {
    const sorted = [...stored.writes].sort((a, b) =>
      compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)),
    );
    return Promise.all(sorted.map(async (w) => [w.taskId, w.channel, await this.#load(w.value)] as CheckpointPendingWrite));
  }

  /** Checkpoints older than format 4 kept pending sends in their parent's writes. */
  async #migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string): Promise<void> {
    const parent = await this.store.get(threadId, ns, parentId);
    const sends = parent ? (await this.#pendingWrites(parent)).filter(([, channel]) => channel === TASKS).map(([, , value]) => value) : [];
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  async #dump(value: unknown): Promise<TypedValue> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return { type, bytes };
  }

  #load(value: TypedValue): Promise<unknown> {
    return this.serde.loadsTyped(value.type, value.bytes);
  }
}

/** The stored value of a channel that was emptied (its version moved, it holds nothing). */
const EMPTY: TypedValue = { type: 'empty', bytes: new Uint8Array(0) };

function requireField(config: RunnableConfig, field: 'thread_id' | 'checkpoint_id', operation: string): string {
  const value = config.configurable?.[field] as unknown;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`${operation} config`, [
      { path: `configurable.${field}`, message: `is required (pass it as config.configurable.${field})` },
    ]);
  }
  return value;
}
