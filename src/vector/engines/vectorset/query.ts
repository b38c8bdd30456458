// The VSIM command of the vectorset engine's query and the shape of its reply. Pure: builds
// arguments and reads replies, never sends. The query itself (vectorset.ts) sends VSIM as a plain
// command, never inside a script, so Redis 8 can run the search on its thread pool.
import type { RedisArgument } from '@redis/client';
import { compileToVectorSet, type Filter } from '../../filter.js';

export interface VsimRequest {
  /** How many nearest members to ask for (the query's k, or more when dead hits fell out). */
  count: number;
  /** HNSW search effort (EF). */
  ef: number;
  filter?: Filter | undefined;
  /** Score every member (TRUTH) instead of searching the graph. */
  exact?: boolean | undefined;
}

/** FILTER-EF of a filtered query: how many candidates VSIM may examine to find `count` that pass. */
export const filterEffort = (count: number): number => Math.max(count * 100, 1000);

/** `VSIM <set> FP32 <blob> WITHSCORES COUNT <count> EF <ef> [FILTER <expr> FILTER-EF <n>] [TRUTH]`. */
export function buildVsimArgs(vectorSet: string, blob: Buffer, request: VsimRequest): RedisArgument[] {
  const args: RedisArgument[] = ['VSIM', vectorSet, 'FP32', blob, 'WITHSCORES', 'COUNT', String(request.count), 'EF', String(request.ef)];
  if (request.filter) args.push('FILTER', compileToVectorSet(request.filter), 'FILTER-EF', String(filterEffort(request.count)));
  if (request.exact) args.push('TRUTH');
  return args;
}

export interface RankedMember {
  id: string;
  score: number;
}

/**
 * The members of a `VSIM … WITHSCORES` reply, nearest first. RESP3 answers a map (member →
 * score), which node-redis decodes to a plain object: an object lists integer-like keys first, so
 * the order is restored by score (ties by id); RESP2's flat array [member, score, …] is read too.
 */
export function parseVsimReply(reply: unknown): RankedMember[] {
  const members: RankedMember[] = [];
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) members.push({ id: String(reply[i]), score: Number(reply[i + 1]) });
    return members;
  }
  if (reply instanceof Map) for (const [id, score] of reply) members.push({ id: String(id), score: Number(score) });
  else if (reply !== null && typeof reply === 'object')
    for (const [id, score] of Object.entries(reply)) members.push({ id, score: Number(score) });
  return members.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
