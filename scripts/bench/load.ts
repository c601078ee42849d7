// Closed-loop HTTP load with autocannon: `connections` clients each send the next
// body of a shared rotation as soon as their previous answer arrives.
import autocannon from "autocannon";

export interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx, plus connection errors and timeouts. */
  failures: number;
  total: number;
}

/**
 * POSTs the bodies in turn (a global rotation, so concurrent requests carry
 * different bodies unless there are fewer bodies than connections), with `headers`
 * (default: JSON content type) on every request.
 */
export async function load(
  url: string,
  bodies: readonly (string | Buffer)[],
  connections: number,
  seconds: number,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url,
    method: "POST",
    headers,
    connections,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }) }],
  });
  return {
    connections,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    total: result.requests.total,
  };
}
