// The cold-start budget the plan prints: its steps per stack, the warm spare's effect and cost.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { coldStart, CUDA_LIBRARY_BYTES, DOCUMENTED, readFigures, renderColdStart, type Figures } from "../../scripts/image/cold-start.js";
import { runStack, stackWith } from "../support/pulumi-program.js";

const figures: Figures = { measuredAt: "2026-12-02 06:50 UTC", loadAverage: [1, 1, 1], baseBytes: 200e6, imageBytes: 270e6, appLayerBytes: 0.3e6, readySeconds: 2 };

describe("cold-start budget", () => {
  it("prod (GPU): node launch + CUDA image pull + ready, and a warm spare that leaves only the ready time", async () => {
    const c = coldStart(await runStack("prod"), figures);
    assert.equal(c.variant, "cuda");
    assert.deepEqual(c.steps.map((s) => s.step.split(" (")[0]), ["node launch", "image pull", "start, model load, warm-up to ready"]);
    assert.equal(c.steps[0]!.seconds, DOCUMENTED.nodeLaunchSeconds.value);
    assert.equal(c.steps[1]!.seconds, (figures.imageBytes + CUDA_LIBRARY_BYTES) / DOCUMENTED.pullBytesPerSecond.value);
    assert.equal(c.total, c.steps.reduce((s, x) => s + x.seconds, 0));
    assert.equal(c.warm, figures.readySeconds);
    assert.equal(c.warmSpareGpus, 1);
    assert.ok(c.warmSpareUsdPerMonth > 300 && c.warmSpareUsdPerMonth < 1500, `one g6 node a month: ${c.warmSpareUsdPerMonth}`);
    assert.ok(c.releasePullSeconds < 1, "a code release pulls the app layer only");
  });

  it("dev (GPU, no warm spare) costs nothing extra and says every scale-up waits; local (CPU) has no node launch", async () => {
    const dev = coldStart(await runStack("dev"), figures);
    assert.equal(dev.warm, undefined);
    assert.equal(dev.warmSpareUsdPerMonth, 0);
    assert.match(renderColdStart(dev, figures).join("\n"), /no warm spare/);
    const local = coldStart(await runStack("local"), figures);
    assert.equal(local.variant, "cpu");
    assert.deepEqual(local.steps.map((s) => s.step.split(" (")[0]), ["image pull", "start, model load, warm-up to ready"]);
  });

  it("the spare's cost grows with the GPUs it holds", async () => {
    const pools = (await import("../support/pulumi-program.js")).stackValue("prod", "gpuPools");
    const two = coldStart(await runStack(stackWith("prod", { gpuPools: [{ ...pools[0], warmSpareGpus: 2 }, pools[1]] })), figures);
    const one = coldStart(await runStack("prod"), figures);
    assert.equal(two.warmSpareGpus, 2);
    assert.ok(Math.abs(two.warmSpareUsdPerMonth - 2 * one.warmSpareUsdPerMonth) < 1);
  });

  it("reads the figures npm run image recorded", () => {
    const recorded = readFigures();
    assert.ok(recorded.imageBytes > recorded.baseBytes && recorded.readySeconds > 0 && recorded.appLayerBytes > 0);
  });
});
