// The CPU image, built and run for real with podman (scripts/image): run as the
// local stack's Deployment runs it, it must pass `npm run smoke`, drain on SIGTERM
// and exit 0, write nothing outside its declared volumes, log nothing but its own
// info lines, and stay within its size budget. Skips where podman cannot run.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { megabytes } from "../../scripts/image/build.js";
import { checkCpuImage, CPU_APP_BUDGET_BYTES, type ImageCheck } from "../../scripts/image/check.js";
import { podmanSkipReason } from "../../scripts/image/podman.js";

// Cold: the stand-in base (debootstrap, 2-8 min on 2 busy cores) and the build (2-4 min); warm: well under a minute.
const TIMEOUT_MS = 20 * 60_000;

describe("CPU image, built and run with podman", { skip: podmanSkipReason(), timeout: TIMEOUT_MS }, () => {
  let check: ImageCheck;
  before(async () => {
    check = await checkCpuImage((line) => console.log(`# ${line.replace(/\n/g, "\n# ")}`));
  }, { timeout: TIMEOUT_MS });

  it("is within its size budget: the base plus at most 80 MB", () => {
    const above = check.image.size - check.image.baseSize;
    assert.ok(above <= CPU_APP_BUDGET_BYTES, `${megabytes(above)} above the base, budget ${megabytes(CPU_APP_BUDGET_BYTES)}`);
  });

  it("puts the compiled app in the last layer, so that a code release pulls only that", () => {
    const last = check.image.appLayers.filter((l) => l.size > 0).at(-1);
    assert.match(last?.createdBy ?? "", /app\/dist/);
  });

  it("runs as the Deployment runs it and passes npm run smoke", () => {
    assert.equal(check.smoke.status, 0, check.smoke.output);
    assert.ok(check.readySeconds > 0);
  });

  it("drains on SIGTERM: requests in flight are answered (200, or 503 once draining), then exit 0", () => {
    assert.equal(check.drain.exitCode, 0);
    const failed = Object.keys(check.drain.statuses).filter((s) => s !== "200" && s !== "503");
    assert.deepEqual(failed, [], JSON.stringify(check.drain.statuses));
    assert.ok((check.drain.statuses["200"] ?? 0) > 0, `no request in flight was served: ${JSON.stringify(check.drain.statuses)}`);
  });

  it("writes nothing outside the declared volumes (podman diff of a run with a writable root)", () => {
    assert.deepEqual(check.strayWrites, []);
  });

  it("logs only its own lines at info level or below (no onnxruntime telemetry errors, no warnings)", () => {
    assert.deepEqual(check.noisyLines, []);
  });

  it("would catch onnxruntime's telemetry: switched back on, its device id under ~/.cache and its warning show", () => {
    assert.ok(check.telemetryOn.strayWrites.some((p) => p.includes("/.cache/Microsoft/DeveloperTools")), check.telemetryOn.strayWrites.join(", "));
    assert.ok(check.telemetryOn.noisyLines.some((l) => /telemetry/i.test(l)), check.telemetryOn.noisyLines.join("\n"));
  });
});
