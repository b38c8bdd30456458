// The exact LLM response cache: the key is a digest of the model, the prompt or messages, and the
// call's parameters in canonical JSON (object keys sorted), so the same request always finds the
// same answer and a different temperature never does.
import { z } from 'zod';
import { parseInput } from '../validate.js';
import type { Cache } from './cache.js';
import type { WriteOptions } from './options.js';

export const LlmRequestSchema = z
  .object({
    model: z.string().min(1),
    /** A prompt string, or chat messages in any JSON form. */
    prompt: z.union([z.string(), z.array(z.json()), z.record(z.string(), z.json())]),
    /** Everything else that changes the answer: temperature, tools, response format, … */
    params: z.record(z.string(), z.json()).optional(),
  })
  .strict();
export type LlmRequest = z.input<typeof LlmRequestSchema>;

/** JSON with object keys sorted at every depth: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * @example
 * const llmCache = new LlmCache(memory.cache({ name: 'llm', ttl: { mode: 'fixed', seconds: 86400 } }));
 * const answer = await llmCache.getOrCompute({ model: 'gpt-4o', prompt: messages, params: { temperature: 0 } }, () => callModel(messages));
 */
export class LlmCache {
  constructor(readonly cache: Cache) {}

  /** The cache key of a request (canonical JSON; the cache digests it). */
  static keyOf(request: LlmRequest): string {
    const { model, prompt, params } = parseInput(LlmRequestSchema, request, 'LLM request');
    return canonicalJson({ model, prompt, params: params ?? {} });
  }

  lookup<T = unknown>(request: LlmRequest): Promise<T | undefined> {
    return this.cache.get<T>(LlmCache.keyOf(request));
  }

  update(request: LlmRequest, response: unknown, options?: WriteOptions): Promise<void> {
    return this.cache.set(LlmCache.keyOf(request), response, options);
  }

  /** The cached response, or `call()`'s, with the cache's stampede protection. */
  getOrCompute<T>(request: LlmRequest, call: () => T | Promise<T>, options?: WriteOptions): Promise<T> {
    return this.cache.getOrCompute(LlmCache.keyOf(request), call, options);
  }
}
