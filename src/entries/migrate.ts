// `redis-agent-memory/migrate`: reads and writes keys another library owns (a chat history list,
// a vector store's hashes), refusing keys under this library's prefix. The LangChain migrations are
// built on it; it is public for migrations of your own (`memory.connection`, `memory.keys.prefix`).
export { readForeignList, replaceForeignList, scanForeignHashes } from '../migrate/foreign-keys.js';
export type { ForeignHash } from '../migrate/foreign-keys.js';
export { RedisMigrationCheckpoint } from '../migrate/checkpoint.js';
export type { MigrationCheckpoint } from '../migrate/checkpoint.js';
