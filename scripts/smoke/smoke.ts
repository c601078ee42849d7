// Post-deploy smoke test of an inference endpoint over the Open Inference Protocol (KServe V2):
// liveness, readiness, the model's readiness and metadata, one real inference, readiness over
// gRPC when its endpoint is given (grpc.ts), then a short bounded burst whose errors and tail
// latency decide. The report's `passed` gates promotion.
import autocannon from "autocannon";
import type { SmokeCheck } from "./check.js";
import { checkGrpcReady } from "./grpc.js";
import { checkCertificate } from "./tls.js";
import { smokeToken } from "./token.js";

export interface SmokeOptions {
  /** Endpoint root, e.g. https://infer.example.com (no trailing /v2). */
  baseUrl: string;
  /** Model to query. */
  model: string;
  /** Name of the model's BYTES input that takes the text. */
  inputName: string;
  /** Text sent for the single inference. */
  text: string;
  /** Requests in the burst (0 skips it). */
  burstRequests: number;
  /** Concurrent connections in the burst. */
  burstConnections: number;
  /** Highest acceptable p99 latency of the burst, ms. */
  maxP99Ms: number;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Bearer token when the endpoint has auth on. */
  token?: string;
  /** host:port of the gRPC door (the stack's grpcEndpoint), TLS when baseUrl is https; absent: REST only. */
  grpcEndpoint?: string;
}

export const SMOKE_DEFAULTS = {
  model: "spam-classifier",
  inputName: "text",
  text: "Congratulations, you have won a free cruise! Reply now to claim your prize.",
  burstRequests: 200,
  burstConnections: 8,
  maxP99Ms: 1000,
  timeoutMs: 10_000,
} satisfies Partial<SmokeOptions>;

/** The default smoke test of an endpoint, with the stack's own bearer token when set (token.ts). */
export function defaultSmokeOptions(baseUrl: string, env: Record<string, string | undefined>, stack?: string): SmokeOptions {
  const token = smokeToken(stack, env);
  return { ...SMOKE_DEFAULTS, baseUrl, ...(token ? { token } : {}) };
}

export type { SmokeCheck };

export interface BurstFigures {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSec: number;
}

export interface SmokeReport {
  endpoint: string;
  model: string;
  passed: boolean;
  checks: SmokeCheck[];
  /** One line per failed check. */
  failures: string[];
  burst?: BurstFigures;
  finishedAt: string;
}

/** One line of the smoke test's console output. */
export function checkLine(c: SmokeCheck, prefix = ""): string {
  return `${c.passed ? "ok  " : "FAIL"} ${prefix}${c.name}: ${c.detail}`;
}

/** The V2 infer request body for one text. */
export function inferRequest(inputName: string, text: string): { inputs: { name: string; shape: number[]; datatype: "BYTES"; data: string[] }[] } {
  return { inputs: [{ name: inputName, shape: [1], datatype: "BYTES", data: [text] }] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Checks a V2 infer response body: model_name, and each output a named tensor whose data has as
 * many elements as its shape says. Returns a problem, or undefined when the body is well formed.
 */
export function inferResponseProblem(body: unknown, model: string): string | undefined {
  if (!isRecord(body)) return "response is not a JSON object";
  if (body.model_name !== model) return `model_name is ${JSON.stringify(body.model_name)}, expected "${model}"`;
  const outputs = body.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0) return "response has no outputs";
  for (const [i, out] of outputs.entries()) {
    if (!isRecord(out) || typeof out.name !== "string" || typeof out.datatype !== "string") return `outputs[${i}] lacks name or datatype`;
    const shape = out.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return `outputs[${i}] (${out.name}) has no valid shape`;
    if (!Array.isArray(out.data)) return `outputs[${i}] (${out.name}) has no data array`;
    const expected = shape.reduce((a: number, d: number) => a * d, 1);
    const got = out.data.flat(Infinity).length;
    if (got !== expected) return `outputs[${i}] (${out.name}) has ${got} elements, its shape ${JSON.stringify(shape)} says ${expected}`;
  }
  return undefined;
}

/** Whether the model's metadata declares the input we are about to send. */
export function metadataProblem(body: unknown, inputName: string): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.inputs)) return "metadata has no inputs list";
  const names = body.inputs.flatMap((i) => (isRecord(i) && typeof i.name === "string" ? [i.name] : []));
  if (!names.includes(inputName)) return `model has no input "${inputName}" (inputs: ${names.join(", ") || "none"})`;
  return undefined;
}

/** Judges the burst: every request answered 2xx, no connection errors, p99 within budget. */
export function burstProblem(f: BurstFigures, maxP99Ms: number): string | undefined {
  const problems: string[] = [];
  if (f.non2xx > 0) problems.push(`${f.non2xx} non-2xx responses`);
  if (f.errors > 0) problems.push(`${f.errors} connection errors or timeouts`);
  if (f.ok + f.non2xx < f.requests) problems.push(`only ${f.ok + f.non2xx} of ${f.requests} requests answered`);
  if (f.p99Ms > maxP99Ms) problems.push(`p99 ${f.p99Ms} ms over the ${maxP99Ms} ms budget`);
  return problems.length ? problems.join(", ") : undefined;
}

function endpoint(opts: SmokeOptions, path: string): string {
  return new URL(path, opts.baseUrl.endsWith("/") ? opts.baseUrl : `${opts.baseUrl}/`).toString();
}

function headers(opts: SmokeOptions): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) h.authorization = `Bearer ${opts.token}`;
  return h;
}

async function request(opts: SmokeOptions, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(endpoint(opts, path), {
    method: body === undefined ? "GET" : "POST",
    headers: headers(opts),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function check(name: string, run: () => Promise<string | undefined>, ok: string): Promise<SmokeCheck> {
  try {
    const problem = await run();
    return { name, passed: problem === undefined, detail: problem ?? ok };
  } catch (err) {
    return { name, passed: false, detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

function expectStatus(path: string, got: { status: number; text: string }, want = 200): string | undefined {
  return got.status === want ? undefined : `GET ${path} answered ${got.status}: ${got.text.slice(0, 200)}`;
}

async function burst(opts: SmokeOptions): Promise<BurstFigures> {
  // Each request gets a unique text ([<id>]) so the result cache cannot answer for the model.
  const body = JSON.stringify(inferRequest(opts.inputName, `${opts.text} [<id>]`));
  const result = await autocannon({
    url: endpoint(opts, `v2/models/${encodeURIComponent(opts.model)}/infer`),
    method: "POST",
    headers: headers(opts),
    body,
    idReplacement: true,
    amount: opts.burstRequests,
    connections: Math.min(opts.burstConnections, opts.burstRequests),
    timeout: Math.ceil(opts.timeoutMs / 1000),
  });
  return {
    requests: opts.burstRequests,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    // Over the whole burst: a burst shorter than a second has no per-second histogram to speak of.
    requestsPerSec: result.duration > 0 ? Math.round((result["2xx"] + result.non2xx) / result.duration) : 0,
  };
}

export async function runSmoke(opts: SmokeOptions): Promise<SmokeReport> {
  const model = encodeURIComponent(opts.model);
  const checks: SmokeCheck[] = [];
  if (new URL(opts.baseUrl).protocol === "https:") checks.push(await checkCertificate(opts.baseUrl, { timeoutMs: opts.timeoutMs }));
  for (const path of ["v2/health/live", "v2/health/ready", `v2/models/${model}/ready`]) {
    checks.push(await check(path, async () => expectStatus(path, await request(opts, path)), "200"));
  }
  if (opts.grpcEndpoint) {
    const tls = new URL(opts.baseUrl).protocol === "https:";
    checks.push(await checkGrpcReady(opts.grpcEndpoint, { tls, timeoutMs: opts.timeoutMs, ...(opts.token ? { token: opts.token } : {}) }));
  }
  checks.push(
    await check(`v2/models/${model}`, async () => {
      const res = await request(opts, `v2/models/${model}`);
      return expectStatus(`v2/models/${model}`, res) ?? metadataProblem(res.json, opts.inputName);
    }, `declares input ${opts.inputName}`),
  );
  const infer = await check("infer", async () => {
    const res = await request(opts, `v2/models/${model}/infer`, inferRequest(opts.inputName, opts.text));
    if (res.status !== 200) return `POST infer answered ${res.status}: ${res.text.slice(0, 300)}`;
    return inferResponseProblem(res.json, opts.model);
  }, "well-formed outputs");
  checks.push(infer);

  let figures: BurstFigures | undefined;
  if (opts.burstRequests > 0 && infer.passed) {
    checks.push(
      await check("burst", async () => {
        figures = await burst(opts);
        return burstProblem(figures, opts.maxP99Ms);
      }, `${opts.burstRequests} requests within budget`),
    );
    if (figures) {
      const last = checks.at(-1)!;
      last.detail += ` (p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.requestsPerSec} req/s)`;
    }
  }
  const failures = checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
  return {
    endpoint: opts.baseUrl,
    model: opts.model,
    passed: failures.length === 0,
    checks,
    failures,
    ...(figures ? { burst: figures } : {}),
    finishedAt: new Date().toISOString(),
  };
}
