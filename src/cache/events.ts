// A cache's pub/sub channel: fills and failures wake the callers waiting on a stampede lock in
// other processes, and every write, deletion and tag invalidation (published by the scripts that
// make them, whoever writes) keeps their near caches consistent. One subscriber connection per
// cache: opened on creation by a cache with a near cache, else by its first lock wait. A waiter
// registers before the lock check, so no fill can be missed; a slow poll behind it covers a lost
// message.
import type { RedisConnection } from '../connection/connect.js';

export type CacheEvent = { t: 'fill' | 'fail' | 'del'; id: string; src: string; error?: string } | { t: 'tag'; tag: string; src: string };

export interface Waiter {
  /** The next fill or failure of the entry, or null when `timeoutMs` passed first. */
  next(timeoutMs: number): Promise<CacheEvent | null>;
  cancel(): void;
}

export class CacheEvents {
  readonly #waiters = new Map<string, Set<(event: CacheEvent) => void>>();

  private constructor(
    private readonly subscriber: RedisConnection,
    private readonly onForeignChange: (event: CacheEvent) => void,
    private readonly instance: string,
  ) {}

  /** Opens a subscriber connection on `channel`. `onForeignChange` sees other processes' events. */
  static async open(
    connection: RedisConnection,
    channel: string,
    instance: string,
    onForeignChange: (event: CacheEvent) => void,
  ): Promise<CacheEvents> {
    const subscriber = await connection.duplicate({ role: 'subscriber', name: channel });
    const events = new CacheEvents(subscriber, onForeignChange, instance);
    try {
      await subscriber.subscribe(channel, (message) => events.#dispatch(message));
    } catch (error) {
      await subscriber.close();
      throw error;
    }
    return events;
  }

  #dispatch(message: string): void {
    let event: CacheEvent;
    try {
      event = JSON.parse(message) as CacheEvent;
    } catch {
      return; // not ours
    }
    if (event.src !== this.instance) this.onForeignChange(event);
    if ((event.t === 'fill' || event.t === 'fail') && this.#waiters.has(event.id)) {
      for (const wake of this.#waiters.get(event.id)!) wake(event);
    }
  }

  /** Starts listening for the entry's next fill or failure. */
  waitFor(id: string): Waiter {
    const queue: CacheEvent[] = [];
    let wake: ((event: CacheEvent | null) => void) | undefined;
    const listener = (event: CacheEvent) => {
      if (wake) wake(event);
      else queue.push(event);
    };
    let set = this.#waiters.get(id);
    if (!set) {
      set = new Set();
      this.#waiters.set(id, set);
    }
    set.add(listener);
    return {
      next: (timeoutMs) => {
        const queued = queue.shift();
        if (queued) return Promise.resolve(queued);
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            wake = undefined;
            resolve(null);
          }, timeoutMs);
          wake = (event) => {
            clearTimeout(timer);
            wake = undefined;
            resolve(event);
          };
        });
      },
      cancel: () => {
        set.delete(listener);
        if (set.size === 0) this.#waiters.delete(id);
      },
    };
  }

  close(): Promise<void> {
    return this.subscriber.close();
  }
}
