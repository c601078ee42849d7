// The image test runs the container as the local stack's Deployment runs it: the
// podman arguments are derived from the rendered pod spec, checked here.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { containerRun, deploymentPodSpec } from "../../scripts/image/deployment.js";

describe("the Deployment as a podman run", () => {
  it("has the pod's user, read-only root, dropped capabilities, volumes, env, memory limit and probes", async () => {
    const spec = containerRun(await deploymentPodSpec("local"), "server");
    const pair = (flag: string) => spec.args.flatMap((a, i) => (spec.args[i - 1] === flag ? [a] : []));
    assert.deepEqual(pair("--user"), ["1000:1000"]);
    assert.ok(spec.args.includes("--read-only") && spec.args.includes("--read-only-tmpfs=false"), "only declared volumes are writable");
    assert.deepEqual(pair("--cap-drop"), ["ALL"]);
    assert.deepEqual(pair("--security-opt"), ["no-new-privileges"]);
    assert.deepEqual(pair("--tmpfs"), [`/tmp:rw,mode=1777,size=${1024 ** 3}`]);
    assert.deepEqual(spec.writablePaths, ["/tmp"]);
    assert.deepEqual(pair("--memory"), [String(1024 ** 3)]);
    const env = Object.fromEntries(pair("--env").map((e) => e.split(/=(.*)/s).slice(0, 2)));
    assert.equal(env.PORT, "8080");
    assert.equal(env.EXECUTION_PROVIDER, "cpu");
    assert.equal(env.MAX_BATCH_SIZE, "16", "the local stack's app.maxBatchSize");
    assert.equal(spec.containerPort, 8080);
    assert.equal(spec.readinessProbe?.path, "/v2/health/ready");
    assert.equal(spec.startupProbe?.path, "/v2/health/live");
    assert.ok(spec.stopTimeoutSeconds > 0);
  });

  it("refuses what it cannot stand in for, naming it", () => {
    const pod = (extra: object) => ({
      securityContext: { runAsUser: 1000 },
      containers: [{ name: "server", ports: [{ name: "http", containerPort: 8080 }], volumeMounts: [{ name: "v", mountPath: "/x" }], ...extra }],
      volumes: [{ name: "v", hostPath: { path: "/x" } }],
    });
    assert.throws(() => containerRun(pod({}), "server"), /volume "v" is not an emptyDir/);
    assert.throws(() => containerRun(pod({}), "other"), /no container "other"/);
  });
});
