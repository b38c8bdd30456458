// The one waiting rule of the connection layer: exponential backoff with "equal jitter", used by
// reconnects, command retries on LOADING/BUSY-like replies and token retries. Pure.

/**
 * The delay before retry number `retries` (0 for the first): half of min(maxMs, initialMs × 2^retries)
 * fixed, half random, so that many clients failed together do not come back in lockstep.
 */
export function backoffDelay(retries: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(retries, 0), 20));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
