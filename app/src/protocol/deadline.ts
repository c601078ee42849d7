// A request's deadline, the same for every front door: the sooner of what the request asked
// for (a transport's own timeout, the `timeout` parameter in microseconds as Triton's
// schedule-policy extension names it, 0 = unset) or the server's default when it asked for none.

/** Epoch milliseconds by which a request that arrived at `arrived` is due. */
export function requestDeadline(arrived: number, parameterUs: number | undefined, askedMs: number | undefined, fallbackMs: number): number {
  const asked: number[] = [];
  if (askedMs !== undefined) asked.push(askedMs);
  // Rounded up so that a sub-millisecond timeout still means "as soon as possible", not "none".
  if (parameterUs !== undefined && parameterUs > 0) asked.push(Math.ceil(parameterUs / 1000));
  return arrived + (asked.length > 0 ? Math.min(...asked) : fallbackMs);
}
