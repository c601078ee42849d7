// Waiting for a new endpoint before judging it: a new load balancer needs minutes before its DNS
// name resolves and its targets pass health checks (an NLB target group marks a target healthy
// only after its healthy-threshold count of consecutive checks, Elastic Load Balancing docs,
// "Health checks for Network Load Balancer target groups"; DNS for a new load balancer takes
// minutes to propagate). Until then every failure is "not yet", not "broken", except one that
// waiting cannot fix: a certificate that does not match the name (see tls.ts).

/** One readiness probe: ready, or why not; `fatal` when waiting cannot help. */
export interface ProbeResult {
  ready: boolean;
  detail: string;
  fatal?: boolean;
}

export interface WaitOptions {
  /** Give up after this long, ms (0: one probe only). */
  deadlineMs: number;
  /** Pause between probes, ms. */
  intervalMs: number;
  /** Clock and sleep, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitOutcome {
  ready: boolean;
  attempts: number;
  waitedMs: number;
  /** The last probe's detail. */
  detail: string;
}

/** Probes until ready, a fatal answer, or the deadline; never sleeps past the deadline. */
export async function waitUntilReady(probe: () => Promise<ProbeResult>, opts: WaitOptions): Promise<WaitOutcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const result = await probe();
    const waitedMs = now() - start;
    if (result.ready || result.fatal) return { ready: result.ready, attempts, waitedMs, detail: result.detail };
    const left = opts.deadlineMs - waitedMs;
    if (left <= 0) return { ready: false, attempts, waitedMs, detail: result.detail };
    await sleep(Math.min(opts.intervalMs, left));
  }
}

/** Node's TLS errors that mean the certificate itself is wrong for this name: no wait fixes them. */
const CERTIFICATE_ERRORS = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** The error code of a failed fetch (undici puts the socket's error in `cause`). */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = e?.cause?.code ?? e?.code;
  return typeof code === "string" ? code : undefined;
}

/** Reads one readiness answer: 200 is ready; 5xx, refused, unresolved or timed out is "not yet". */
export function interpretReadiness(outcome: { status: number } | { error: unknown }): ProbeResult {
  if ("status" in outcome) {
    return outcome.status === 200 ? { ready: true, detail: "200" } : { ready: false, detail: `answered ${outcome.status}` };
  }
  const code = errorCode(outcome.error);
  const message = outcome.error instanceof Error ? (outcome.error.cause instanceof Error ? outcome.error.cause.message : outcome.error.message) : String(outcome.error);
  if (code && CERTIFICATE_ERRORS.has(code)) return { ready: false, fatal: true, detail: `TLS: ${message}` };
  return { ready: false, detail: code ? `${code}: ${message}` : message };
}

/** GET <base>/v2/health/ready once. */
export async function probeReadiness(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const url = new URL("v2/health/ready", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return interpretReadiness({ status: res.status });
  } catch (err) {
    return interpretReadiness({ error: err });
  }
}
