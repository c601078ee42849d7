import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  benchDuration,
  benchSections,
  formatTable,
  formatTarget,
  meanBatchSize,
  meanComputeMs,
  median,
  meetsTarget,
  peakRssBytes,
  sampleValue,
} from "../../../scripts/bench/report.js";

describe("bench settings", () => {
  it("BENCH_DURATION defaults to 8 s and accepts positive seconds up to 120", () => {
    assert.equal(benchDuration(undefined), 8);
    assert.equal(benchDuration(""), 8);
    assert.equal(benchDuration("2.5"), 2.5);
    for (const bad of ["0", "-1", "abc", "121", "Infinity"]) {
      assert.throws(() => benchDuration(bad), new RegExp(`BENCH_DURATION must be a number of seconds > 0 and <= 120, got "${bad}"`));
    }
  });

  it("BENCH_SECTIONS picks sections by name (default all) and names the allowed ones when wrong", () => {
    assert.deepEqual([...benchSections(undefined)], ["mlp", "overload", "light"]);
    assert.deepEqual([...benchSections(" light, overload ")], ["light", "overload"]);
    for (const bad of ["lite", ",", "mlp,gpu"]) {
      assert.throws(() => benchSections(bad), /BENCH_SECTIONS must be a comma-separated list of mlp, overload, light/);
    }
  });
});

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones, whatever the order", () => {
    assert.equal(median([7, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([5]), 5);
  });
});

describe("bench parsing", () => {
  const before = [
    "# TYPE inference_batch_size histogram",
    'inference_batch_size_sum{model="mlp"} 100',
    'inference_batch_size_count{model="mlp"} 50',
    'inference_batch_size_sum{model="other"} 7',
  ].join("\n");
  const after = ['inference_batch_size_sum{model="mlp"} 420', 'inference_batch_size_count{model="mlp"} 60'].join("\n");

  it("reads one sample by its exact name and labels", () => {
    assert.equal(sampleValue(before, 'inference_batch_size_sum{model="mlp"}'), 100);
    assert.equal(sampleValue(before, 'inference_batch_size_sum{model="absent"}'), 0);
  });

  it("computes rows per batch between two scrapes", () => {
    assert.equal(meanBatchSize(before, after, "mlp"), 32);
    assert.equal(meanBatchSize(after, after, "mlp"), 0, "no batches ran");
  });

  it("computes onnxruntime milliseconds per batch between two scrapes", () => {
    const t0 = 'inference_compute_duration_seconds_sum{model="mlp"} 1\ninference_compute_duration_seconds_count{model="mlp"} 100';
    const t1 = 'inference_compute_duration_seconds_sum{model="mlp"} 1.5\ninference_compute_duration_seconds_count{model="mlp"} 200';
    assert.equal(meanComputeMs(t0, t1, "mlp"), 5);
  });

  it("reads peak RSS from /proc status", () => {
    assert.equal(peakRssBytes("Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1000 kB\n"), 2048 * 1024);
    assert.throws(() => peakRssBytes("Name:\tnode\n"), /no VmHWM/);
  });
});

describe("bench report", () => {
  it("judges ratios against at-least and at-most targets", () => {
    const atLeast = { label: "batching", ratio: 4.2, goal: 4, direction: ">=" as const, unit: "x" as const };
    assert.equal(meetsTarget(atLeast), true);
    assert.equal(meetsTarget({ ...atLeast, ratio: 3.9 }), false);
    const atMost = { label: "ready", ratio: 1.2, goal: 1.5, direction: "<=" as const, unit: "s" as const };
    assert.equal(meetsTarget(atMost), true);
    assert.equal(meetsTarget({ ...atMost, ratio: 1.6 }), false);
  });

  it("prints each target with its figure, goal and verdict", () => {
    assert.equal(
      formatTarget({ label: "server vs raw", ratio: 0.9134, goal: 0.85, direction: ">=", unit: "%" }),
      "server vs raw: 91.3 % (target >= 85.0 %) ok",
    );
    assert.equal(formatTarget({ label: "ready", ratio: 1.61, goal: 1.5, direction: "<=", unit: "s" }), "ready: 1.61 s (target <= 1.50 s) MISSED");
  });

  it("aligns a table: first column left, figures right", () => {
    assert.equal(formatTable(["run", "req/s"], [["a", "1"], ["longer", "1000"]]), "run     req/s\n------  -----\na           1\nlonger   1000");
  });
});
