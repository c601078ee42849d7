// Warm spare GPUs: placeholders of a negative, non-preempting PriorityClass hold
// serving-pod-sized slots in the app's GPU pools; serving pods outrank them. Checked
// on the stacks under mocks, and the scheduling relation against Kubernetes' rule.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../infra/config.js";
import { mayPreempt, PLACEHOLDER_PRIORITY, placeholderReplicas, SERVING_PRIORITY, type Priority } from "../../../infra/cluster/warm-spare.js";
import { flattenConfig } from "../../../scripts/lib/mock-program.js";
import { ofType, runStack, stackValue, stackWith, type ProgramRun } from "../../support/pulumi-program.js";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass";
const serving = (run: ProgramRun) => ofType(run, DEPLOYMENT).map((d) => d.inputs).find((d) => d.spec.template.spec.containers[0].name === "server");
const placeholders = (run: ProgramRun) => ofType(run, DEPLOYMENT).map((d) => d.inputs).filter((d) => d.metadata.labels["app.kubernetes.io/component"] === "warm-spare");
const classes = (run: ProgramRun): Map<string, Priority> =>
  new Map(ofType(run, PRIORITY_CLASS).map((c) => [c.inputs.metadata.name, { value: c.inputs.value, preemptionPolicy: c.inputs.preemptionPolicy }]));

describe("warm spare capacity", () => {
  it("follows Kubernetes' preemption rule: serving pods preempt placeholders, placeholders preempt nothing", () => {
    assert.equal(mayPreempt(SERVING_PRIORITY, PLACEHOLDER_PRIORITY), true);
    assert.equal(mayPreempt(PLACEHOLDER_PRIORITY, { value: -1000, preemptionPolicy: "PreemptLowerPriority" }), false, "Never: not even lower pods");
    assert.equal(mayPreempt(SERVING_PRIORITY, SERVING_PRIORITY), false, "equal priority never preempts");
    assert.equal(mayPreempt(SERVING_PRIORITY, { value: 0, preemptionPolicy: "PreemptLowerPriority" }), true, "above default-priority pods");
    assert.ok(PLACEHOLDER_PRIORITY.value < 0, "below every pod without a class (priority 0)");
    assert.ok(SERVING_PRIORITY.value <= 1_000_000_000, "user-defined classes may not exceed one billion");
  });

  it("prod: placeholders hold the configured GPUs in the on-demand pool, sized like a serving pod and scheduled like one", async () => {
    const run = await runStack("prod");
    const [base] = stackValue("prod", "gpuPools");
    const app = serving(run)!.spec.template.spec;
    const [spare] = placeholders(run);
    assert.ok(spare, "one placeholder Deployment");
    assert.equal(placeholders(run).length, 1, "only the pool with warm GPUs gets placeholders");
    assert.equal(spare.spec.replicas, placeholderReplicas(base.warmSpareGpus, 1));
    const pod = spare.spec.template.spec;
    const [container] = pod.containers;
    const appContainer = app.containers[0];
    assert.deepEqual(container.resources.requests, appContainer.resources.requests, "evicting one frees exactly one serving pod's room");
    assert.equal(container.image, appContainer.image, "warm nodes have the app's image pulled");
    assert.deepEqual(pod.tolerations, app.tolerations, "same taint tolerance: lands where serving pods land");
    const poolOf = (p: any) => p.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0];
    assert.deepEqual(poolOf(pod).values, [base.name]);
    assert.ok(poolOf(app).values.includes(base.name), "a pool the serving pods may use");
    assert.equal(pod.terminationGracePeriodSeconds, 0, "a victim leaves at once");
  });

  it("prod: the serving pods' class preempts the placeholders' class, the placeholders' preempts nothing", async () => {
    const run = await runStack("prod");
    const byName = classes(run);
    const servingClass = byName.get(serving(run)!.spec.template.spec.priorityClassName);
    const placeholderClass = byName.get(placeholders(run)[0]!.spec.template.spec.priorityClassName);
    assert.ok(servingClass && placeholderClass, "both pods name a declared PriorityClass");
    assert.equal(mayPreempt(servingClass, placeholderClass), true);
    assert.equal(placeholderClass.preemptionPolicy, "Never");
    assert.ok(ofType(run, PRIORITY_CLASS).every((c) => c.inputs.globalDefault === false), "no class becomes every pod's default");
  });

  it("is off in dev (GPU pools, no warm GPUs) and absent on CPU-only local", async () => {
    const dev = await runStack("dev");
    assert.deepEqual(placeholders(dev), []);
    assert.ok(serving(dev)!.spec.template.spec.priorityClassName, "serving pods still outrank default-priority pods");
    const local = await runStack("local");
    assert.deepEqual(ofType(local, PRIORITY_CLASS), []);
    assert.equal(serving(local)!.spec.template.spec.priorityClassName, undefined);
  });

  it("refuses warm GPUs where they would serve nothing, naming the pool and what is allowed", () => {
    const pools = stackValue("prod", "gpuPools");
    const withSpare = (i: number, gpus: number) => pools.map((p: any, j: number) => (j === i ? { ...p, warmSpareGpus: gpus } : p));
    const parse = (changes: Record<string, unknown>) => () => parseConfig(flattenConfig((stackWith("prod", changes) as { config: Record<string, unknown> }).config).config);
    assert.throws(parse({ gpuPools: withSpare(0, pools[0].maxGpus) }), (e: Error) => e instanceof ConfigError && e.message.includes(`gpuPools[0].warmSpareGpus: must be below maxGpus (${pools[0].maxGpus})`));
    assert.throws(parse({ gpuPools: withSpare(0, 3), app: { ...stackValue("prod", "app"), gpusPerReplica: 2 } }), /warmSpareGpus: must be a multiple of app\.gpusPerReplica \(2\)/);
    assert.throws(parse({ gpuPools: withSpare(1, 1), app: { ...stackValue("prod", "app"), pools: ["l4"] } }), /the app does not run in pool "l4-spot"/);
  });
});
