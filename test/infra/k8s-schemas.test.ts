// Every Kubernetes object and custom resource any stack declares is valid against
// its upstream schema. Objects are collected from the mock run, not picked by hand,
// so whatever a component adds later is covered without touching this file.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { kubernetesObjects, runStack, STACKS } from "../support/pulumi-program.js";
import { crdValidatorsByKind, validateWithCrd, validateWithModel } from "../support/k8s-schemas.js";

describe("Kubernetes objects against upstream schemas", () => {
  for (const stack of STACKS) {
    it(`${stack}: every object validates against its kubernetes-models schema`, async () => {
      const objects = kubernetesObjects(await runStack(stack));
      assert.ok(objects.length >= 6, `${stack} declares only ${objects.length} objects`);
      const problems: string[] = [];
      for (const o of objects) {
        const result = await validateWithModel(o.inputs as { apiVersion: string; kind: string });
        if (result === "no-model") problems.push(`${o.type} ${o.name}: no upstream model for ${o.inputs.apiVersion} ${o.inputs.kind}`);
        else if (result) problems.push(`${o.type} ${o.name}: ${result}`);
      }
      assert.deepEqual(problems, []);
    });

    it(`${stack}: custom resources with an upstream CRD validate strictly (no unknown fields)`, async (t) => {
      if (crdValidatorsByKind().size === 0) return t.skip("no shared CRDs in this checkout");
      const problems = kubernetesObjects(await runStack(stack))
        .map((o) => [o, validateWithCrd(o.inputs as { apiVersion: string; kind: string })] as const)
        .filter(([, r]) => r !== undefined && r !== "no-crd")
        .map(([o, r]) => `${o.name}: ${r}`);
      assert.deepEqual(problems, []);
    });
  }
});

describe("the schema check itself", () => {
  const nodePool = {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "gpu" },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: "eks.amazonaws.com", kind: "NodeClass", name: "default" },
          requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }],
          taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }],
        },
      },
    },
  };

  it("accepts a well-formed NodePool and rejects a wrong type", async () => {
    assert.equal(await validateWithModel(nodePool), undefined);
    const bad = structuredClone(nodePool) as any;
    bad.spec.template.spec.taints[0].effect = 7;
    assert.match(String(await validateWithModel(bad)), /effect/);
  });

  it("checks EKS Auto Mode's NodeClass against its documented fields", async () => {
    const nodeClass = { apiVersion: "eks.amazonaws.com/v1", kind: "NodeClass", metadata: { name: "private" }, spec: { role: "r", subnetSelectorTerms: [{ id: "subnet-1" }], networkPolicy: "DefaultAllow" } };
    assert.equal(await validateWithModel(nodeClass), undefined);
    const misspelt: typeof nodeClass = { ...nodeClass, spec: { ...nodeClass.spec, subnetSelector: [] } as typeof nodeClass.spec };
    assert.match(String(await validateWithModel(misspelt)), /additional properties/);
    const badValue: typeof nodeClass = { ...nodeClass, spec: { ...nodeClass.spec, networkPolicy: "Allow" } };
    assert.match(String(await validateWithModel(badValue)), /allowed values/);
  });

  it("reports kinds that have no upstream model instead of passing them", async () => {
    assert.equal(await validateWithModel({ apiVersion: "example.com/v1", kind: "Widget" }), "no-model");
  });

  it("catches a misspelt field in a custom resource through the CRD", (t) => {
    if (crdValidatorsByKind().size === 0) return t.skip("no shared CRDs in this checkout");
    assert.equal(validateWithCrd(nodePool), undefined);
    const bad = structuredClone(nodePool) as any;
    bad.spec.template.spec.taint = bad.spec.template.spec.taints;
    assert.match(String(validateWithCrd(bad)), /additional properties/);
  });
});
