// The optional in-process near cache (L1): a bounded LRU of encoded entries with per-entry expiry.
// It holds bytes, not objects, so no caller can change another's copy. It is only a copy: Redis
// stays the truth, and pub/sub events (events.ts) drop what another process changed.

interface Slot {
  encoded: Buffer;
  expiresAt: number;
}

export class NearCache {
  readonly #slots = new Map<string, Slot>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get(id: string, now = Date.now()): Buffer | undefined {
    const slot = this.#slots.get(id);
    if (!slot) return undefined;
    this.#slots.delete(id);
    if (slot.expiresAt <= now) return undefined;
    this.#slots.set(id, slot); // most recently used last
    return slot.encoded;
  }

  /** Keeps an entry for at most the near cache's TTL, and never longer than `boundMs` (0: no bound). */
  set(id: string, encoded: Buffer, boundMs: number, now = Date.now()): void {
    const ttl = boundMs > 0 ? Math.min(this.ttlMs, boundMs) : this.ttlMs;
    this.#slots.delete(id);
    this.#slots.set(id, { encoded, expiresAt: now + ttl });
    if (this.#slots.size > this.maxEntries) this.#slots.delete(this.#slots.keys().next().value!);
  }

  delete(id: string): void {
    this.#slots.delete(id);
  }

  clear(): void {
    this.#slots.clear();
  }

  get size(): number {
    return this.#slots.size;
  }
}
