// `redis-agent-memory/testing`: what you need to test your own code against the library on a real
// Redis: a deterministic offline embedder and a cleanup that deletes everything under a prefix (give
// each test file its own `prefix`). Never point it at a prefix production data lives under.
export { HashingEmbeddings } from '../embeddings/hashing.js';
export { deletePrefix } from '../testing/delete-prefix.js';
