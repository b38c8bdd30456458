// Where callers get a connection: `connect` opens one the library owns (open.ts), `adopt` wraps a
// node-redis client of the caller's (adopt.ts); both give a RedisConnection (connection.ts).
// It only re-exports: each concept lives in its own file.
export { adopt, AdoptableClientSchema, AdoptOptionsSchema } from './adopt.js';
export type { AdoptOptions, NodeRedisClientLike } from './adopt.js';
export { RedisConnection } from './connection.js';
export type { CommandRoute, ConnectionSettings } from './connection.js';
export { connect } from './open.js';
