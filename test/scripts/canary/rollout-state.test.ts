// `npm run canary`'s decisions over Rollout objects as the API returns them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ABORT_PATCHES,
  describeRollout,
  inProgress,
  promotePatches,
  rolloutPhase,
  type RolloutObject,
  waitStep,
  WAIT_EXIT,
} from "../../../scripts/canary/rollout-state.js";

const STEPS = [{ setWeight: 25 }, { pause: { duration: "5m" } }, { analysis: {} }, { setWeight: 50 }, { pause: { duration: "5m" } }, { analysis: {} }];

function rollout(status: RolloutObject["status"], spec: Partial<RolloutObject["spec"]> = {}): RolloutObject {
  return {
    metadata: { name: "inference", generation: 4 },
    spec: { strategy: { canary: { steps: STEPS } }, ...spec },
    status: { observedGeneration: "4", workloadObservedGeneration: "7", ...status },
  };
}

describe("rolloutPhase", () => {
  it("reports the controller's phase once it has seen the latest Rollout and Deployment", () => {
    assert.deepEqual(rolloutPhase(rollout({ phase: "Healthy", message: "" }), 7), { phase: "Healthy", message: "" });
    assert.equal(rolloutPhase(rollout({ phase: "Degraded", message: "RolloutAborted: metric error-ratio failed" }), 7).phase, "Degraded");
  });

  it("is Progressing while the controller lags: an older observedGeneration, an older Deployment generation, an unpause in flight", () => {
    assert.match(rolloutPhase(rollout({ phase: "Healthy", observedGeneration: "3" }), 7).message, /spec update to be observed/);
    assert.match(rolloutPhase(rollout({ phase: "Healthy" }), 8).message, /generation 8 of the referenced Deployment/);
    assert.match(rolloutPhase(rollout({ phase: "Paused", controllerPause: true, pauseConditions: [] }), 7).message, /unpause/);
    assert.equal(rolloutPhase(rollout({ phase: "Healthy", observedGeneration: undefined }), 7).phase, "Progressing");
  });

  it("an unknown or missing phase is Progressing, never success", () => {
    assert.equal(rolloutPhase(rollout({ phase: "" }), 7).phase, "Progressing");
    assert.equal(rolloutPhase(rollout({ phase: "Bogus" }), 7).phase, "Progressing");
  });
});

describe("promotePatches, as the kubectl plugin promotes", () => {
  it("at a pause step: clear the pause conditions", () => {
    assert.deepEqual(promotePatches(rollout({ phase: "Paused", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }], controllerPause: true })), {
      status: { status: { pauseConditions: null } },
    });
  });

  it("after an inconclusive analysis: clear the controller pause too and go to the next step", () => {
    const ro = rollout({
      phase: "Paused",
      currentStepIndex: 2,
      controllerPause: true,
      pauseConditions: [{ reason: "InconclusiveAnalysis" }],
      canary: { currentStepAnalysisRunStatus: { name: "inference-abc-2", status: "Inconclusive" } },
    });
    assert.deepEqual(promotePatches(ro), { status: { status: { pauseConditions: null, controllerPause: false, currentStepIndex: 3 } } });
  });

  it("while a step runs (no pause): skip to the next step, never past the last", () => {
    assert.deepEqual(promotePatches(rollout({ phase: "Progressing", currentStepIndex: 2 })), { status: { status: { pauseConditions: null, currentStepIndex: 3 } } });
    assert.deepEqual(promotePatches(rollout({ phase: "Progressing", currentStepIndex: 6 })), { status: { status: { pauseConditions: null, currentStepIndex: 6 } } });
  });

  it("a paused spec is unpaused as well", () => {
    assert.deepEqual(promotePatches(rollout({ phase: "Paused", pauseConditions: [{ reason: "PausedByUser" }] }, { paused: true })), {
      spec: { spec: { paused: false } },
      status: { status: { pauseConditions: null } },
    });
  });

  it("abort sets status.abort", () => {
    assert.deepEqual(ABORT_PATCHES, { status: { status: { abort: true } } });
  });
});

describe("waitStep: CI's gate", () => {
  const at = (phase: string, message = "") => rolloutPhase(rollout({ phase, message }), 7);
  it("Healthy ends with 0, Degraded with 1 and the controller's reason", () => {
    assert.deepEqual(waitStep(at("Healthy"), 0, 10), { done: true, exitCode: WAIT_EXIT.healthy, summary: "healthy: the new version runs on every pod" });
    const degraded = waitStep(at("Degraded", "RolloutAborted: Metric \"error-ratio\" assessed Failed"), 0, 10);
    assert.ok(degraded.done && degraded.exitCode === 1 && degraded.summary.includes("error-ratio"), JSON.stringify(degraded));
  });

  it("Paused or Progressing keeps waiting until the deadline, then ends with 3 and leaves the rollout as is", () => {
    assert.deepEqual(waitStep(at("Paused"), 5, 10), { done: false });
    const late = waitStep(at("Paused", "CanaryPauseStep"), 10, 10);
    assert.ok(late.done && late.exitCode === WAIT_EXIT.deadline && /promote or abort/.test(late.summary), JSON.stringify(late));
  });

  it("something to promote or abort only while in progress", () => {
    assert.equal(inProgress(at("Paused")), true);
    assert.equal(inProgress(at("Progressing")), true);
    assert.equal(inProgress(at("Healthy")), false);
    assert.equal(inProgress(at("Degraded")), false);
  });
});

describe("describeRollout", () => {
  it("names the step, the ReplicaSets, pauses and analysis runs", () => {
    const ro = rollout({
      phase: "Paused",
      message: "CanaryPauseStep",
      currentStepIndex: 1,
      stableRS: "6d4f8b7c9",
      currentPodHash: "5c9b7d6f4",
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 4,
      pauseConditions: [{ reason: "CanaryPauseStep", startTime: "2026-12-02T06:00:00Z" }],
      canary: { currentBackgroundAnalysisRunStatus: { name: "inference-5c9b7d6f4-4", status: "Running" } },
    });
    assert.deepEqual(describeRollout(ro, rolloutPhase(ro, 7)), [
      "Rollout inference: Paused (CanaryPauseStep)",
      "  step 1 of 6",
      "  stable 6d4f8b7c9, newest 5c9b7d6f4; pods: 4 total, 1 newest, 4 available",
      "  paused: CanaryPauseStep since 2026-12-02T06:00:00Z",
      "  background analysis inference-5c9b7d6f4-4: Running",
    ]);
  });
});
