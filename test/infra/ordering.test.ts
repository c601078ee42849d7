// Ordering on a real cluster: every custom resource (and every chart that creates one) is
// registered after whatever installs its CRD, and nothing waits for pods that need GPU nodes
// Karpenter has not started yet. Dependencies are read off the registrations (dependsOn as the
// engine receives it), not off the code.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { helmReleases, kubernetesObjects, ofType, runStack, STACKS, type ProgramRun, type RecordedResource } from "../support/pulumi-program.js";

/** The resource whose presence means a CRD group exists: a Helm release by chart, or the EKS cluster (Auto Mode's own CRDs). */
const INSTALLER: Record<string, (r: RecordedResource) => boolean> = {
  "monitoring.coreos.com": (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack",
  "keda.sh": (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "keda",
};

/** URNs a resource waits for: its own dependencies and, transitively, theirs and its parents'. */
function waitsFor(run: ProgramRun, r: RecordedResource): Set<string> {
  const byUrn = new Map(run.resources.map((x) => [x.urn, x]));
  const seen = new Set<string>();
  const queue = [...r.opts.dependsOn, r.parent];
  while (queue.length > 0) {
    const urn = queue.pop()!;
    if (!urn || seen.has(urn)) continue;
    seen.add(urn);
    const next = byUrn.get(urn);
    if (next) queue.push(...next.opts.dependsOn, next.parent);
  }
  return seen;
}

for (const stack of STACKS) {
  describe(`${stack}: ordering`, () => {
    it("every custom resource is registered after the release that installs its CRD", async () => {
      const run = await runStack(stack);
      const problems: string[] = [];
      for (const r of kubernetesObjects(run)) {
        const group = String(r.inputs.apiVersion).split("/")[0]!;
        const installer = INSTALLER[group];
        if (!installer) continue;
        const crd = run.resources.find(installer);
        if (!crd) problems.push(`${r.type} ${r.name}: nothing installs ${group}`);
        else if (!waitsFor(run, r).has(crd.urn)) problems.push(`${r.type} ${r.name} does not wait for ${crd.name}`);
      }
      assert.deepEqual(problems, []);
    });

    it("a chart that creates ServiceMonitors waits for the Prometheus operator's CRDs", async () => {
      const run = await runStack(stack);
      const kps = run.resources.find(INSTALLER["monitoring.coreos.com"]!);
      for (const release of helmReleases(run).filter((h) => JSON.stringify(h.inputs.values ?? {}).includes('"serviceMonitor":{"enabled":true'))) {
        assert.ok(kps && waitsFor(run, release).has(kps.urn), `${release.name} waits for kube-prometheus-stack`);
      }
    });
  });
}

for (const stack of ["dev", "staging", "prod"] as const) {
  describe(`${stack}: GPU pods and what waits for them`, () => {
    it("the DCGM exporter runs privileged (NVML on Bottlerocket) and its release does not wait for GPU nodes", async () => {
      const [dcgm] = helmReleases(await runStack(stack)).filter((h) => h.inputs.chart === "dcgm-exporter");
      assert.ok(dcgm);
      assert.equal(dcgm.inputs.values.securityContext.privileged, true);
      assert.equal(dcgm.inputs.skipAwait, true);
    });

    it("no other release has pods pinned to GPU nodes, so none waits on a scale-up", async () => {
      const others = helmReleases(await runStack(stack)).filter((h) => h.inputs.chart !== "dcgm-exporter" && !h.inputs.skipAwait);
      for (const h of others) assert.equal(JSON.stringify(h.inputs.values ?? {}).includes("nvidia.com/gpu"), false, `${h.name} targets GPU nodes`);
      assert.ok(ofType(await runStack(stack), "kubernetes:karpenter.sh/v1:NodePool").length > 0);
    });
  });
}
