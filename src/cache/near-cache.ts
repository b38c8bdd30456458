// The optional in-process near cache (L1): a bounded LRU of encoded entries with per-entry expiry.
// It holds bytes, not objects, so no caller can change another's copy. It is only a copy: Redis
// stays the truth, and pub/sub events (events.ts) drop what another process changed. A value read
// from Redis is never kept if its entry was invalidated while the read was in flight (the event
// can overtake the reply: they come on different connections), so it cannot outlive the change.

interface Slot {
  encoded: Buffer;
  expiresAt: number;
}

export class NearCache {
  readonly #slots = new Map<string, Slot>();
  /** Bumped by every invalidation. */
  #epoch = 0;
  /** Entry id → the epoch of its last invalidation (bounded; older ones are folded into #floor). */
  readonly #invalidated = new Map<string, number>();
  /** Every invalidation not in #invalidated happened at or before this epoch. */
  #floor = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  /** The current epoch: take it before reading from Redis, and pass it to `set` with the reply. */
  epoch(): number {
    return this.#epoch;
  }

  get(id: string, now = Date.now()): Buffer | undefined {
    const slot = this.#slots.get(id);
    if (!slot) return undefined;
    this.#slots.delete(id);
    if (slot.expiresAt <= now) return undefined;
    this.#slots.set(id, slot); // most recently used last
    return slot.encoded;
  }

  /**
   * Keeps an entry for at most the near cache's TTL, and never longer than `boundMs` (0: no bound).
   * With `readAt` (the epoch taken before the value was read), a value whose entry was invalidated
   * since is not kept.
   */
  set(id: string, encoded: Buffer, boundMs: number, readAt?: number, now = Date.now()): void {
    if (readAt !== undefined && (this.#invalidated.get(id) ?? this.#floor) > readAt) return;
    const ttl = boundMs > 0 ? Math.min(this.ttlMs, boundMs) : this.ttlMs;
    this.#slots.delete(id);
    this.#slots.set(id, { encoded, expiresAt: now + ttl });
    if (this.#slots.size > this.maxEntries) this.#slots.delete(this.#slots.keys().next().value!);
  }

  /** Drops an entry (another process changed it). */
  delete(id: string): void {
    this.#slots.delete(id);
    this.#invalidated.delete(id);
    this.#invalidated.set(id, ++this.#epoch);
    if (this.#invalidated.size > 4 * this.maxEntries) {
      const [oldest, at] = this.#invalidated.entries().next().value!;
      this.#invalidated.delete(oldest);
      this.#floor = Math.max(this.#floor, at);
    }
  }

  /** Drops every entry (a tag was invalidated: any entry may carry it). */
  clear(): void {
    this.#slots.clear();
    this.#invalidated.clear();
    this.#floor = ++this.#epoch;
  }

  get size(): number {
    return this.#slots.size;
  }
}
