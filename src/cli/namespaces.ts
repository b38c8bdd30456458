// Opens a long-term memory namespace that already exists with what it was created with (its stored
// definition), so a command needs no copy of the application's settings. Without an embedder it
// can read and copy but not embed (inspect, migrate's source).
import type { AgentMemory } from '../agent-memory.js';
import type { EmbeddingsLike } from '../embeddings/embedder.js';
import { InvalidArgumentError } from '../errors.js';
import { readNamespace } from '../inspect.js';
import type { LongTermMemory } from '../memory/long-term-memory.js';

/** An embedder for a namespace that is only read: asked to embed, it says why it cannot. */
const readOnlyEmbedder: EmbeddingsLike = {
  embedDocuments: async () => {
    throw new InvalidArgumentError('embedder', [{ path: 'embedder', message: 'this command reads the namespace and cannot embed' }]);
  },
  embedQuery: async () => {
    throw new InvalidArgumentError('embedder', [{ path: 'embedder', message: 'this command reads the namespace and cannot embed' }]);
  },
};

/** Opens `namespace` as stored; throws an InvalidArgumentError when the prefix has no such namespace. */
export async function openStoredNamespace(memory: AgentMemory, namespace: string, embedder?: EmbeddingsLike): Promise<LongTermMemory> {
  const stored = await readNamespace(memory.connection, memory.keys, namespace);
  if (!stored) {
    throw new InvalidArgumentError('namespace', [
      { path: 'namespace', message: `no long-term memory namespace ${namespace} under prefix ${memory.keys.prefix}` },
    ]);
  }
  return memory.longTerm({
    namespace,
    embedder: embedder ?? readOnlyEmbedder,
    engine: stored.engine,
    dim: stored.dim,
    metric: stored.metric as 'cosine',
    fields: stored.fields as Record<string, 'tag' | 'numeric'>,
    ...(stored.algorithm ? { algorithm: stored.algorithm as 'hnsw' } : {}),
    ...(stored.quantization ? { quantization: stored.quantization as 'noquant' } : {}),
  });
}
