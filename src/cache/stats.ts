// A cache's counters since it was created: what `cache.stats()` returns. Counted in process only.

export interface CacheStats {
  hits: number;
  misses: number;
  /** Hits served from the in-process near cache (also counted in hits). */
  nearHits: number;
  /** Expired values served while one caller refreshed them (stale-while-revalidate). */
  staleServed: number;
  /** Times `compute` ran (every reason). */
  computes: number;
  /** Computations XFetch started before expiry. */
  earlyRecomputes: number;
  /** Background refreshes started by stale-while-revalidate. */
  refreshes: number;
  /** getOrCompute calls that waited for another caller's computation. */
  lockWaits: number;
  /** Locks taken after waiting on another holder's lock (it failed, or died and its lock expired). */
  lockTakeovers: number;
  /** Calls that joined a computation already running in this process. */
  coalesced: number;
  /** Computations that threw. */
  computeErrors: number;
  /** getOrCompute calls answered without the cache because Redis was unreachable (failOpen). */
  failOpen: number;
}

export const newStats = (): CacheStats => ({
  hits: 0,
  misses: 0,
  nearHits: 0,
  staleServed: 0,
  computes: 0,
  earlyRecomputes: 0,
  refreshes: 0,
  lockWaits: 0,
  lockTakeovers: 0,
  coalesced: 0,
  computeErrors: 0,
  failOpen: 0,
});
