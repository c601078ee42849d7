import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { splitInferBody, decodeBinaryTensor } from "../../../app/src/protocol/binary.js";
import { parseInferRequest } from "../../../app/src/protocol/infer-request.js";
import { lightAnswer, lightBinaryBodies, lightJsonBodies, pairSlices, type RawTextResult, type Slice } from "../../../scripts/bench/light-model.js";
import type { LoadResult } from "../../../scripts/bench/load.js";
import { benchChart, niceMax } from "../../../scripts/bench/chart.js";
import { lightTargets } from "../../../scripts/bench/light-report.js";

const texts = ["Win a free prize now!", "Hi Bob, the patch is attached", "日本語のテキスト", "", "x".repeat(300)];

test("JSON bodies carry `perRequest` distinct texts each, in rotation", () => {
  const bodies = lightJsonBodies(texts, 2);
  assert.equal(bodies.length, 2);
  const first = parseInferRequest(JSON.parse(bodies[0]!));
  assert.deepEqual(first.inputs[0]!.shape, [2]);
  assert.deepEqual(first.inputs[0]!.data, texts.slice(0, 2));
  assert.deepEqual(JSON.parse(bodies[1]!).inputs[0].data, texts.slice(2, 4));
});

test("binary bodies share one header length and decode, through the server's own codec, to the same texts", () => {
  const { bodies, headers } = lightBinaryBodies(texts, 2);
  assert.equal(headers["content-type"], "application/octet-stream");
  bodies.forEach((body, i) => {
    const { json, binary } = splitInferBody(body, headers["inference-header-content-length"]);
    const request = parseInferRequest(json);
    assert.equal(request.parameters?.binary_data_output, true);
    assert.equal(request.inputs[0]!.parameters?.binary_data_size, binary.length);
    assert.deepEqual(decodeBinaryTensor("text", "BYTES", binary), texts.slice(i * 2, i * 2 + 2));
  });
});

test("the bare endpoint's answer has the server's shape for the same number of texts", () => {
  const answer = JSON.parse(lightAnswer(3));
  assert.deepEqual(answer.outputs.map((o: { name: string; shape: number[]; data: unknown[] }) => [o.name, o.shape, o.data.length]), [
    ["probabilities", [3, 2], 6],
    ["label", [3], 3],
  ]);
});

test("the chart is one SVG with a line per series per panel, axes rounded up to 1, 2 or 5 x 10^n", () => {
  assert.deepEqual([niceMax(0), niceMax(7), niceMax(13), niceMax(4200), niceMax(50_001)], [1, 10, 20, 5000, 100_000]);
  const svg = benchChart(
    [
      { title: "a", yLabel: "req/s", xLabels: ["1", "16", "64"], series: [{ name: "server", values: [1, 2, 3] }, { name: "bare <x>", values: [2, undefined, 4] }] },
      { title: "b", yLabel: "ms", xLabels: ["1", "16", "64"], series: [{ name: "server", values: [5, 6, 7] }] },
    ],
    "caption",
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<polyline/g)?.length, 3);
  assert.equal(svg.match(/<circle/g)?.length, 8, "undefined values leave gaps");
  assert.ok(svg.includes("bare &lt;x&gt;"), "labels are escaped");
  assert.ok(svg.trim().endsWith("</svg>"));
});

describe("pairSlices: a row from alternating server / bare / raw slices", () => {
  const run = (requestsPerSecond: number, p99Ms: number, failures = 0): LoadResult => ({ connections: 64, requestsPerSecond, p50Ms: p99Ms / 4, p99Ms, failures, total: requestsPerSecond * 2 });
  const raw = (samplesPerSecond: number): RawTextResult => ({ batchSize: 8, samplesPerSecond, msPerRun: 8000 / samplesPerSecond });

  it("judges each figure against the baseline of its own slice: a machine that halves its speed between slices does not move the ratios", () => {
    // Slices 1-2 on a fast machine, 3-4 on one half as fast: server 40 % of bare and 20 % of raw throughout.
    const slices: Slice[] = [
      { server: run(6000, 30), bare: run(15000, 10), raw: raw(30000), meanBatch: 8 },
      { server: run(6000, 30), bare: run(15000, 10), raw: raw(30000), meanBatch: 8 },
      { server: run(3000, 60), bare: run(7500, 20), raw: raw(15000), meanBatch: 7 },
      { server: run(3000, 60), bare: run(7500, 20, 1), raw: raw(15000), meanBatch: 7 },
    ];
    const row = pairSlices(slices, 1);
    assert.equal(row.bareRatio, 0.4);
    assert.equal(row.rawRatio, 0.2);
    assert.equal(row.p99Ratio, 3);
    // The combined figures are the slices' mean throughput, median latency, summed counts.
    assert.equal(row.server.requestsPerSecond, 4500);
    assert.equal(row.server.p99Ms, 45);
    assert.equal(row.bare.failures, 1);
    assert.equal(row.meanBatch, 7.5);
    // Whereas a whole-run server (slow half) against a whole-run bare (fast half) would read 20 %.
    assert.notEqual(row.bareRatio, 3000 / 15000);
  });

  it("takes the median, so one disturbed slice does not decide the row; texts per request scale the raw ratio", () => {
    const slices: Slice[] = [
      { server: run(1000, 50), bare: run(10000, 10), raw: raw(64000), meanBatch: 32 },
      { server: run(1000, 50), bare: run(10000, 10), raw: raw(64000), meanBatch: 32 },
      { server: run(100, 900), bare: run(10000, 10), raw: raw(64000), meanBatch: 32 },
    ];
    const row = pairSlices(slices, 32);
    assert.equal(row.bareRatio, 0.1);
    assert.equal(row.rawRatio, 0.5);
    assert.equal(row.p99Ratio, 5);
    assert.throws(() => pairSlices([], 1), /at least one slice/);
  });

  it("bounds server/bare by the bare endpoint's time plus the model's on one thread", () => {
    // Bare 20 000 req/s = 50 µs a request; raw 40 000 texts/s = 25 µs a text: at most 50 / 75 of the bare endpoint.
    const one = pairSlices([{ server: run(8000, 20), bare: run(20000, 5), raw: raw(40000), meanBatch: 8 }], 1);
    assert.ok(Math.abs(one.oneThreadBound - 2 / 3) < 1e-12, `bound ${one.oneThreadBound}`);
    // 32 texts a request at 64 000 texts/s is 500 µs of model per request beside the bare endpoint's 100 µs.
    const batch = pairSlices([{ server: run(1000, 50), bare: run(10000, 10), raw: raw(64000), meanBatch: 32 }], 32);
    assert.ok(Math.abs(batch.oneThreadBound - 1 / 6) < 1e-12, `bound ${batch.oneThreadBound}`);
  });
});

test("the WORKERS target compares the two servers through the bare endpoint each ran beside, not their raw req/s minutes apart", () => {
  const row = (workers: number, server: number, bare: number) => ({
    texts: 1, format: "JSON" as const, connections: 64, workers,
    server: { connections: 64, requestsPerSecond: server, p50Ms: 5, p99Ms: 20, failures: 0, total: server },
    bare: { connections: 64, requestsPerSecond: bare, p50Ms: 2, p99Ms: 10, failures: 0, total: bare },
    raw: { batchSize: 8, samplesPerSecond: 40000, msPerRun: 0.2 }, meanBatch: 8,
    bareRatio: server / bare, p99Ratio: 2, rawRatio: server / 40000, oneThreadBound: 1 / (1 + bare / 40000),
  });
  const batch = { ...row(1, 1000, 10000), texts: 32 };
  // The machine was twice as fast while the single process ran: raw req/s say 0.75x, the paired ratios 1.5x.
  const light = { rows: [row(1, 8000, 20000), row(2, 6000, 10000), batch], singleRss: 0, clusterRss: [], clusterWorkers: 2 };
  const target = lightTargets(light).find((t) => t.label.includes("WORKERS=2 vs 1 process"))!;
  assert.ok(Math.abs(target.ratio - 1.5) < 1e-9, `ratio ${target.ratio}`);
});
