// Where a resumable migration records how far it got: per unit of work (a memory scope, a foreign
// key) the number of items done, saved after each batch is written. Writes are idempotent by id, so a
// process killed between a write and its save redoes that batch and duplicates nothing.
import type { RedisConnection } from '../connection/connect.js';

/** How far a migration got, by unit; {@link RedisMigrationCheckpoint} keeps it in Redis. */
export interface MigrationCheckpoint {
  /** Items of `unit` done so far (0 when it was never started). */
  position(unit: string): Promise<number>;
  /** Records that the first `position` items of `unit` are done. */
  save(unit: string, position: number): Promise<void>;
}

/**
 * A checkpoint in one Redis hash (`keyspace.migrationCheckpoint(name)`): unit → items done, and
 * `~finished` once the whole migration ended. Running the same migration again resumes it.
 *
 * @example const checkpoint = new RedisMigrationCheckpoint(memory.connection, memory.keys.migrationCheckpoint('memory.old.new'));
 */
export class RedisMigrationCheckpoint implements MigrationCheckpoint {
  constructor(
    readonly connection: RedisConnection,
    readonly key: string,
  ) {}

  async position(unit: string): Promise<number> {
    const value = await this.connection.send<string | null>(['HGET', this.key, `u:${unit}`], { key: this.key, readonly: true });
    return value === null ? 0 : Number(value);
  }

  async save(unit: string, position: number): Promise<void> {
    await this.connection.send(['HSET', this.key, `u:${unit}`, String(position)], { key: this.key });
  }

  /** Units started so far (a fresh migration has none). */
  async units(): Promise<number> {
    const n = await this.connection.send<number>(['HLEN', this.key], { key: this.key, readonly: true });
    return n - ((await this.finishedAt()) === null ? 0 : 1);
  }

  /** Marks the migration finished (a later run starts again only after clear()). */
  async finish(): Promise<void> {
    await this.connection.send(['HSET', this.key, '~finished', String(Date.now())], { key: this.key });
  }

  /** When the migration finished (ms since the epoch), or null. */
  async finishedAt(): Promise<number | null> {
    const value = await this.connection.send<string | null>(['HGET', this.key, '~finished'], { key: this.key, readonly: true });
    return value === null ? null : Number(value);
  }

  /** Forgets the progress: the next run starts from the beginning. */
  async clear(): Promise<void> {
    await this.connection.send(['UNLINK', this.key], { key: this.key });
  }
}
