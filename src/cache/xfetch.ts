// Probabilistic early expiration (XFetch, Vattani, Chierichetti and Lowenstein, VLDB 2015): a hit
// recomputes early with a probability that grows as expiry nears and with how long the value took
// to compute, so that under load misses arrive one at a time instead of all at expiry. Pure.

/**
 * True when this hit should recompute now: `now - computeMs * beta * ln(random) >= expiry`
 * (ln of a number in (0, 1] is ≤ 0, so the left side reaches expiry early by a random amount
 * scaled by the compute time).
 */
export function shouldRecomputeEarly(
  now: number,
  expiry: number,
  computeMs: number,
  beta: number,
  random: number = Math.random(),
): boolean {
  if (expiry <= 0) return false;
  return now - computeMs * beta * Math.log(Math.max(random, Number.MIN_VALUE)) >= expiry;
}
