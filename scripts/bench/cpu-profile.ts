// Where a server process spends its CPU, from a V8 .cpuprofile (node --cpu-prof): every
// sample is charged to one category of the request path, by walking from the sampled
// frame towards the root until a frame matches a rule (so JSON.parse called from the
// body splitter counts as "JSON parse", and node:crypto called from the cache key as
// "cache key"). Pure: no I/O.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A category and how to recognise one of its frames (url substring, optionally a function name). */
export interface CategoryRule {
  category: string;
  url: string;
  functions?: readonly string[];
}

/** The request path's steps, most specific first; the first rule a frame matches wins. */
export const REQUEST_PATH_RULES: readonly CategoryRule[] = [
  { category: "JSON parse", url: "/protocol/binary.js", functions: ["splitInferBody"] },
  { category: "response encoding", url: "/protocol/binary.js", functions: ["responseBody", "packOutputs", "encodeOutputs", "encodeBinaryTensor"] },
  { category: "response encoding", url: "/protocol/json.js", functions: ["toJsonOutputs", "jsonData"] },
  { category: "validation", url: "/zod/" },
  { category: "validation", url: "/protocol/" },
  { category: "cache key hashing", url: "/cache/key.js" },
  { category: "result cache", url: "/cache/" },
  { category: "queueing and batching", url: "/core/batcher.js" },
  { category: "queueing and batching", url: "/core/model-runner.js" },
  { category: "queueing and batching", url: "/core/batch-tensors.js" },
  { category: "worker hand-off", url: "/core/session.js" },
  { category: "worker hand-off", url: "node:internal/worker" },
  { category: "worker hand-off", url: "node:internal/per_context/messageport" },
  { category: "onnxruntime", url: "/core/session-worker.js" },
  { category: "onnxruntime", url: "/onnxruntime-" },
  { category: "logging", url: "/pino" },
  { category: "logging", url: "/sonic-boom/" },
  { category: "logging", url: "/http/request-log.js" },
  { category: "metrics", url: "/prom-client/" },
  { category: "metrics", url: "/observability/metrics.js" },
  { category: "body read", url: "/raw-body/" },
  { category: "body read", url: "/body-parser/" },
  { category: "body read", url: "/iconv-lite/" },
  { category: "inference route", url: "/http/infer.js" },
  { category: "inference route", url: "/core/inference.js" },
  { category: "Express routing and middleware", url: "/express/" },
  { category: "Express routing and middleware", url: "/router/" },
  { category: "REST door (dispatch, admission, drain, auth, errors)", url: "/http/" },
  { category: "HTTP parse and write (node:http, net, streams)", url: "node:_http" },
  { category: "HTTP parse and write (node:http, net, streams)", url: "node:net" },
  { category: "HTTP parse and write (node:http, net, streams)", url: "node:internal/stream" },
  { category: "HTTP parse and write (node:http, net, streams)", url: "node:internal/streams" },
  { category: "HTTP parse and write (node:http, net, streams)", url: "node:stream" },
];

/** V8's pseudo-frames, charged as they are. */
const PSEUDO = new Map([
  ["(garbage collector)", "garbage collection"],
  ["(program)", "native, not attributed (libuv, syscalls, llhttp)"],
  ["(idle)", "idle"],
]);

const matches = (rule: CategoryRule, frame: { functionName: string; url: string }) =>
  frame.url.includes(rule.url) && (rule.functions === undefined || rule.functions.includes(frame.functionName));

/**
 * Microseconds per category over the samples taken in [from, to] (profile clock, µs;
 * default the whole profile). A stack no rule matches counts as "other JavaScript".
 */
export function categorize(profile: CpuProfile, rules: readonly CategoryRule[] = REQUEST_PATH_RULES, from = -Infinity, to = Infinity): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    let category = PSEUDO.get(frame.functionName);
    if (category === undefined) {
      const rule = rules.find((r) => matches(r, frame));
      const up = parent.get(id);
      category = rule ? rule.category : up === undefined ? "other JavaScript" : resolve(up);
    }
    categoryOf.set(id, category);
    return category;
  };
  const totals = new Map<string, number>();
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < from || time > to) return;
    const category = resolve(id);
    totals.set(category, (totals.get(category) ?? 0) + delta);
  });
  return totals;
}

/** Categories as rows of [category, µs per request, share of the busy time], busiest first; idle is left out of the shares. */
export function perRequest(totals: ReadonlyMap<string, number>, requests: number): { category: string; usPerRequest: number; share: number }[] {
  const busy = [...totals].filter(([c]) => c !== "idle").reduce((s, [, us]) => s + us, 0);
  return [...totals]
    .filter(([c]) => c !== "idle")
    .map(([category, us]) => ({ category, usPerRequest: us / Math.max(1, requests), share: busy > 0 ? us / busy : 0 }))
    .sort((a, b) => b.usPerRequest - a.usPerRequest);
}
