// The policy pack against what the program really registers: every stack file passes every
// policy its policy config enables, and each policy fails a deliberately broken variant.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies.js";
import { REPO_ROOT, runStack, stackWith, transformedOptions, STACKS, type ProgramRun, type RecordedResource } from "../support/pulumi-program.js";

type Policy = (typeof policies)[number];
const POLICY_NAMES = policies.map((p) => p.name);
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/** Policy config as `pulumi preview --policy-pack-config policy/config/<stack>.json` reads it. */
function policyConfig(stack: string): Record<string, { enforcementLevel?: string }> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, "policy", "config", `${stack}.json`), "utf8"));
}

function enabled(stack: string): Policy[] {
  const config = policyConfig(stack);
  return policies.filter((p) => config[p.name]?.enforcementLevel !== "disabled");
}

function resourceArgs(r: RecordedResource): ResourceValidationArgs {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.inputs,
    opts: { protect: r.opts.protect, ignoreChanges: r.opts.ignoreChanges, aliases: [], additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason}`);
    },
  } as unknown as ResourceValidationArgs;
}

function stackArgs(resources: RecordedResource[]): StackValidationArgs {
  // A stack validation sees outputs: the state the mocks answered with.
  const policyResources = resources.map(
    (r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.state, opts: { protect: r.opts.protect }, dependencies: [], propertyDependencies: {} }) as unknown as PolicyResource,
  );
  return { resources: policyResources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T } as unknown as StackValidationArgs;
}

/** Runs one policy through its CrossGuard callbacks and collects the violations it reports. */
async function violations(policy: Policy, resources: RecordedResource[]): Promise<string[]> {
  const found: string[] = [];
  const report = (message: string) => void found.push(message);
  if ("validateResource" in policy && policy.validateResource) {
    const validate = (policy as ResourceValidationPolicy).validateResource;
    for (const r of resources) for (const v of [validate].flat()) if (v) await v(resourceArgs(r), report);
  }
  if ("validateStack" in policy) await (policy as StackValidationPolicy).validateStack(stackArgs(resources), report);
  return found;
}

function policy(name: string): Policy {
  const found = policies.find((p) => p.name === name);
  assert.ok(found, `no policy ${name}`);
  return found;
}

/** A deep copy of a run's resources that a test may break. */
function copy(run: ProgramRun): RecordedResource[] {
  return structuredClone(run.resources);
}

function find(resources: RecordedResource[], type: string, pick: (r: RecordedResource) => boolean = () => true): RecordedResource {
  const found = resources.find((r) => r.type === type && pick(r));
  assert.ok(found, `no ${type} registered`);
  return found;
}

const appDeployment = (r: RecordedResource) => r.name === "inference";

describe("policy configuration", () => {
  it("has a config for every stack file, naming only real policies and enforcement levels", () => {
    const stackFiles = readdirSync(path.join(REPO_ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5)).sort();
    assert.deepEqual(stackFiles, [...STACKS].sort());
    for (const stack of STACKS) {
      for (const [name, value] of Object.entries(policyConfig(stack))) {
        assert.ok(POLICY_NAMES.includes(name), `policy/config/${stack}.json names unknown policy ${name}`);
        assert.ok(LEVELS.includes(String(value.enforcementLevel)), `policy/config/${stack}.json: ${name} has level ${value.enforcementLevel}`);
      }
    }
  });

  it("enforces everything in prod and relaxes only digest pinning, protection and TLS below it", () => {
    assert.deepEqual(enabled("prod").map((p) => p.name), POLICY_NAMES);
    for (const stack of ["local", "dev", "staging"] as const) {
      const off = POLICY_NAMES.filter((n) => !enabled(stack).some((p) => p.name === n));
      assert.ok(off.every((n) => ["images-pinned-by-digest", "stateful-protected", "load-balancer-tls"].includes(n)), `${stack} disables ${off.join(", ")}`);
    }
    assert.ok(enabled("staging").some((p) => p.name === "images-pinned-by-digest"), "staging deploys digests only");
    assert.ok(enabled("staging").some((p) => p.name === "load-balancer-tls"), "staging terminates TLS like prod");
  });
});

describe("every stack passes its policies", () => {
  for (const stack of STACKS) {
    it(`${stack}`, async () => {
      const run = await runStack(stack);
      const failures: string[] = [];
      for (const p of enabled(stack)) for (const v of await violations(p, run.resources)) failures.push(`${p.name}: ${v}`);
      assert.deepEqual(failures, []);
    });
  }
});

describe("each policy fails a deliberately broken variant", () => {
  async function prod(): Promise<RecordedResource[]> {
    return copy(await runStack("prod"));
  }
  function appPod(resources: RecordedResource[]): Record<string, any> {
    return find(resources, "kubernetes:apps/v1:Deployment", appDeployment).inputs.spec.template.spec;
  }

  it("container-resources: the app without a memory limit", async () => {
    const resources = await prod();
    delete appPod(resources).containers[0].resources.limits.memory;
    assert.match((await violations(policy("container-resources"), resources)).join("\n"), /container "server" has no limits.memory/);
  });

  it("images-pinned-by-digest: the app on a tag", async () => {
    const resources = await prod();
    appPod(resources).containers[0].image = "inference-platform-app:latest";
    assert.match((await violations(policy("images-pinned-by-digest"), resources)).join("\n"), /"inference-platform-app:latest" is not pinned by digest/);
  });

  it("non-root-unprivileged: a privileged app container", async () => {
    const resources = await prod();
    appPod(resources).containers[0].securityContext.privileged = true;
    assert.match((await violations(policy("non-root-unprivileged"), resources)).join("\n"), /container "server" is privileged/);
  });

  it("gpu-pods-tolerate-and-request: the GPU app without its toleration", async () => {
    const resources = await prod();
    const pod = appPod(resources);
    assert.ok(pod.containers[0].resources.limits["nvidia.com/gpu"], "prod's app runs on GPU pools");
    pod.tolerations = [];
    assert.match((await violations(policy("gpu-pods-tolerate-and-request"), resources)).join("\n"), /does not tolerate the nvidia.com\/gpu:NoSchedule taint/);
  });

  it("gpu-nodes-tainted: a GPU NodePool without its taint", async () => {
    const resources = await prod();
    find(resources, "kubernetes:karpenter.sh/v1:NodePool").inputs.spec.template.spec.taints = [];
    assert.match((await violations(policy("gpu-nodes-tainted"), resources)).join("\n"), /launches GPU nodes without the nvidia.com\/gpu:NoSchedule taint/);
  });

  it("elasticache-encrypted-auth: the cache without TLS", async () => {
    const resources = await prod();
    find(resources, "aws:elasticache/replicationGroup:ReplicationGroup").inputs.transitEncryptionEnabled = false;
    assert.match((await violations(policy("elasticache-encrypted-auth"), resources)).join("\n"), /must set transitEncryptionEnabled: true/);
  });

  it("nodes-in-private-subnets: a cluster given no private subnets", async () => {
    const resources = await prod();
    delete find(resources, "eks:index:Cluster").inputs.privateSubnetIds;
    assert.match((await violations(policy("nodes-in-private-subnets"), resources)).join("\n"), /has no privateSubnetIds/);
  });

  it("ci-access-entries: a cluster a person created, with no entry for CI's roles", async () => {
    const resources = await prod();
    const entries = find(resources, "eks:index:Cluster").inputs.accessEntries;
    delete entries["ci-deploy"];
    delete entries["ci-preview"];
    assert.match((await violations(policy("ci-access-entries"), resources)).join("\n"), /no access entry "ci-deploy" for CI's deploy role/);
  });

  it("node-groups-in-private-subnets: a node group added in a public subnet", async () => {
    const resources = await prod();
    const base = structuredClone(find(resources, "kubernetes:apps/v1:Deployment"));
    const subnet = { id: "subnet-public-1", mapPublicIpOnLaunch: true };
    resources.push({ ...base, type: "aws:ec2/subnet:Subnet", name: "public-1", inputs: subnet, state: subnet });
    resources.push({ ...base, type: "aws:eks/nodeGroup:NodeGroup", name: "extra", inputs: { subnetIds: ["subnet-public-1"] }, state: { subnetIds: ["subnet-public-1"] } });
    assert.deepEqual(await violations(policy("node-groups-in-private-subnets"), resources), ["node group extra uses public subnets subnet-public-1"]);
  });

  it("stateful-protected: the prod stack file with protect: false", async () => {
    const run = await runStack(stackWith("prod", { protect: false }));
    const found = await violations(policy("stateful-protected"), run.resources);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0]!, /aws:elasticache\/replicationGroup:ReplicationGroup \S+ is stateful/);
  });

  // The engine hands the pack the children of remote components (eks, awsx) with the options their
  // transforms give; the mocks never see those children, so they are built here from the recorded transforms.
  for (const [component, child] of [["eks:index:Cluster", "aws:eks/cluster:Cluster"], ["awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"]] as const) {
    it(`stateful-protected: the ${child} inside ${component}, protected in prod and refused with protect: false`, async () => {
      for (const [run, refused] of [[await runStack("prod"), 0], [await runStack(stackWith("prod", { protect: false })), 1]] as const) {
        const parent = find(run.resources, component);
        const protect = transformedOptions(run.transforms.get(parent.urn) ?? [], child).protect === true;
        const inner = { ...parent, type: child, urn: `${parent.urn}$${child}`, opts: { ...parent.opts, protect } };
        assert.equal((await violations(policy("stateful-protected"), [inner])).length, refused, `${run.stack} protect=${protect}`);
      }
    });
  }

  it("stateful-protected: protect set on a component again (every child would inherit it)", async () => {
    const resources = await prod();
    find(resources, "inference-platform:infra:Cluster").opts.protect = true;
    assert.deepEqual(await violations(policy("stateful-protected"), resources), [
      "inference-platform:infra:Cluster cluster is a component: protect would pass to all its children; protect its stateful resources instead (transforms)",
    ]);
  });

  it("load-balancer-tls: the prod stack file without a certificate", async () => {
    const run = await runStack(stackWith("prod", { loadBalancer: { type: "nlb" } }));
    assert.match((await violations(policy("load-balancer-tls"), run.resources)).join("\n"), /Service \S+ is a load balancer without TLS/);
  });

  it("deployments-have-pdb: the app's PDB removed", async () => {
    const resources = (await prod()).filter((r) => r.type !== "kubernetes:policy/v1:PodDisruptionBudget");
    assert.match((await violations(policy("deployments-have-pdb"), resources)).join("\n"), /Deployment inference has no PodDisruptionBudget/);
  });

  it("alerts-present: the alert rules removed", async () => {
    const resources = (await prod()).filter((r) => r.type !== "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    assert.deepEqual(await violations(policy("alerts-present"), resources), ["the stack declares no PrometheusRule with an alert"]);
  });

  it("covers every policy in the pack", () => {
    const tested = ["container-resources", "images-pinned-by-digest", "non-root-unprivileged", "gpu-pods-tolerate-and-request", "gpu-nodes-tainted", "elasticache-encrypted-auth", "nodes-in-private-subnets", "ci-access-entries", "node-groups-in-private-subnets", "stateful-protected", "load-balancer-tls", "deployments-have-pdb", "alerts-present"];
    assert.deepEqual([...tested].sort(), [...POLICY_NAMES].sort());
  });
});

