// LangChain LLM caches (a chat model's or LLM's `cache` option) on the library's caches: the exact
// one on LlmCache (prompt + model parameters), the semantic one on SemanticCache (a prompt that
// means the same). Generations are stored with @langchain/core's own (de)serialization helpers.
// They translate and delegate; they never talk to Redis themselves.
import { createHash } from 'node:crypto';
import { BaseCache, deserializeStoredGeneration, serializeGeneration } from '@langchain/core/caches';
import type { Generation } from '@langchain/core/outputs';
import type { LlmCache, SemanticCache } from '../../src/index.js';

type StoredGeneration = ReturnType<typeof serializeGeneration>;

/** What LangChain hands a cache, as the exact cache's request: the prompt, and the model's parameters as its key. */
const requestOf = (prompt: string, llmKey: string) => ({ model: 'langchain', prompt, params: { llmKey } });

const decode = (stored: StoredGeneration[] | undefined | null): Generation[] | null =>
  stored && stored.length > 0 ? stored.map((g) => deserializeStoredGeneration(g) as Generation) : null;

export interface AgentMemoryLlmCacheOptions {
  /** How long an answer is kept, instead of the cache's TTL. */
  ttlSeconds?: number;
}

/**
 * The exact LLM cache: the same prompt with the same model parameters (LangChain's `llmKey`:
 * model name, temperature, stop words, tools, …) gets the stored generations; any other parameter
 * never does.
 *
 * @example const model = new ChatOpenAI({ model: 'gpt-4o', cache: new AgentMemoryLlmCache(memory.llmCache()) });
 */
export class AgentMemoryLlmCache extends BaseCache<Generation[]> {
  constructor(
    readonly llmCache: LlmCache,
    private readonly options: AgentMemoryLlmCacheOptions = {},
  ) {
    super();
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    return decode(await this.llmCache.lookup<StoredGeneration[]>(requestOf(prompt, llmKey)));
  }

  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    const options = this.options.ttlSeconds === undefined ? undefined : { ttlSeconds: this.options.ttlSeconds };
    await this.llmCache.update(requestOf(prompt, llmKey), value.map(serializeGeneration), options);
  }
}

export interface AgentMemorySemanticLlmCacheOptions {
  /** The tenant whose cache this is (default `_`): one tenant never gets another's answers. */
  tenant?: string;
  /** Similarity (0–1) a cached prompt needs to be served; default the semantic cache's threshold. */
  threshold?: number;
  /** How long an answer is kept, instead of the semantic cache's TTL. */
  ttlSeconds?: number;
}

/**
 * The semantic LLM cache: a prompt at least `threshold` similar to a cached one, for the same model
 * parameters (LangChain's `llmKey`, digested into the semantic cache's model scope), gets its
 * generations.
 *
 * @example const model = new ChatOpenAI({ cache: new AgentMemorySemanticLlmCache(await memory.semanticCache({ embedder, threshold: 0.92 }), { tenant: 'acme' }) });
 */
export class AgentMemorySemanticLlmCache extends BaseCache<Generation[]> {
  constructor(
    readonly semanticCache: SemanticCache,
    private readonly options: AgentMemorySemanticLlmCacheOptions = {},
  ) {
    super();
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const found = await this.semanticCache.lookup<StoredGeneration[]>(prompt, {
      ...this.#scope(llmKey),
      ...(this.options.threshold === undefined ? {} : { threshold: this.options.threshold }),
    });
    return found.hit ? decode(found.response) : null;
  }

  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    await this.semanticCache.store(prompt, value.map(serializeGeneration), {
      ...this.#scope(llmKey),
      ...(this.options.ttlSeconds === undefined ? {} : { ttlSeconds: this.options.ttlSeconds }),
    });
  }

  /** The semantic cache scopes answers by model name (at most 256 characters): an llmKey is any length, so it is digested. */
  #scope(llmKey: string): { model: string; tenant?: string } {
    const model = `lc:${createHash('sha256').update(llmKey).digest('base64url')}`;
    return this.options.tenant === undefined ? { model } : { model, tenant: this.options.tenant };
  }
}
