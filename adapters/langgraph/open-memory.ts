// What the adapters' factories (`fromUrl`, `fromClient`) share: opening an agent memory from a
// Redis URL or a node-redis client the caller made, through the public factory only. The adapter
// that opened it closes it; a client of the caller's stays open (createAgentMemory's rule).
import { createAgentMemory, type AgentMemory, type AgentMemoryConfig } from '../../src/index.js';

/** Where a factory-made adapter gets its Redis from, and the key prefix it writes under. */
export interface OpenFrom {
  /** Key prefix of everything written (default `am`). */
  prefix?: string;
}

export type NodeRedisClient = NonNullable<AgentMemoryConfig['client']>;

export function openFromUrl(url: string, { prefix }: OpenFrom = {}): Promise<AgentMemory> {
  return createAgentMemory({ redis: { url }, ...(prefix === undefined ? {} : { prefix }) });
}

export function openFromClient(client: NodeRedisClient, { prefix }: OpenFrom = {}): Promise<AgentMemory> {
  return createAgentMemory({ client, ...(prefix === undefined ? {} : { prefix }) });
}
