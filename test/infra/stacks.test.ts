// Every stack file evaluates under mocks, and what each registers is what its
// environment promises: AWS foundation or none, GPU pools, images by digest, protection.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import path from "node:path";
import { runStack, one, ofType, stackValue, stackWith, transformedOptions, REPO_ROOT, STACKS, type ProgramRun, type StackName } from "../support/pulumi-program.js";
import { PROTECTED_TYPES } from "../../infra/protection.js";

const DIGEST_REF = /^[^@\s]+@sha256:[0-9a-f]{64}$/;
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool";

/** The inference app's Deployment (the local stack also runs an in-cluster Valkey). */
function appDeployment(run: Awaited<ReturnType<typeof runStack>>) {
  const found = ofType(run, DEPLOYMENT).filter((r) => r.name === "inference");
  assert.equal(found.length, 1, `${run.stack}: expected the inference Deployment`);
  return found[0]!;
}

describe("stack files", () => {
  it("are exactly the four environments", () => {
    const files = readdirSync(path.join(REPO_ROOT, "stacks")).filter((f) => f.endsWith(".yaml")).sort();
    assert.deepEqual(files, ["Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
  });

  it("Pulumi.yaml runs infra/index.ts with nodejs and keeps stack files in stacks/", () => {
    const project = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    assert.equal(project.name, "inference-platform");
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.stackConfigDir, "stacks");
    assert.ok(existsSync(path.join(REPO_ROOT, project.main)), `main ${project.main} exists`);
  });

  for (const stack of STACKS) {
    it(`${stack} evaluates and exports endpoint, image and cluster`, async () => {
      const run = await runStack(stack);
      assert.ok(run.resources.length > 10, `${stack} registered only ${run.resources.length} resources`);
      assert.match(String(run.outputs.endpointUrl), /^https?:\/\/[^/]+$/);
      assert.ok(run.outputs.imageRef, "imageRef output");
      assert.match(String(run.outputs.imageDigest), /^sha256:[0-9a-f]{64}$/);
      assert.ok(run.outputs.clusterName, "clusterName output");
      assert.equal(run.outputs.environment, stack);
      // What `npm run wait-ready` reads: target health only behind an NLB, the ScaledObject to wake.
      assert.equal(run.outputs.loadBalancerType, stack === "local" ? "nodePort" : "nlb");
      const scaledObjects = run.resources.filter((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject");
      assert.deepEqual(scaledObjects.map((r) => r.inputs.metadata.name), run.outputs.scaledObjectName === undefined ? [] : [run.outputs.scaledObjectName]);
    });
  }
});

describe("local stack", () => {
  it("creates no AWS resource or provider at all", async () => {
    const run = await runStack("local");
    const awsish = run.resources.filter((r) => /^(aws|awsx|eks):|^pulumi:providers:(aws|awsx|eks)$/.test(r.type));
    assert.deepEqual(awsish.map((r) => r.type), []);
  });

  it("targets the context its cluster's tool writes, the one configured, or for other clusters the current one", async () => {
    const contextOf = (run: Awaited<ReturnType<typeof runStack>>) => ofType(run, "pulumi:providers:kubernetes").map((p) => p.inputs.context);
    const kind = await runStack("local");
    assert.deepEqual(contextOf(kind), ["kind-kind"]);
    assert.equal(kind.outputs.clusterName, "kind-kind");
    assert.deepEqual(contextOf(await runStack(stackWith("local", { local: { cluster: "minikube", clusterName: "ml" } }))), ["ml"]);
    assert.deepEqual(contextOf(await runStack(stackWith("local", { local: { cluster: "docker-desktop" } }))), ["docker-desktop"]);
    const configured = await runStack(stackWith("local", { local: { kubeContext: "kind-inference" } }));
    assert.deepEqual(contextOf(configured), ["kind-inference"]);
    assert.equal(configured.outputs.clusterName, "kind-inference");
    assert.deepEqual(contextOf(await runStack(stackWith("local", { local: { cluster: "other" } }))), [undefined]);
  });

  it("builds into the local Docker daemon, CPU variant, nothing pushed", async () => {
    const image = one(await runStack("local"), "docker-build:index:Image");
    assert.equal(image.inputs.push, false);
    assert.equal(image.inputs.load, true);
    assert.match(image.inputs.dockerfile.location, /app\/Dockerfile$/);
  });

  it("exposes the app on a NodePort and runs it on CPU", async () => {
    const run = await runStack("local");
    const services = ofType(run, "kubernetes:core/v1:Service");
    assert.ok(services.some((s) => s.inputs.spec.type === "NodePort" && s.inputs.spec.ports[0].nodePort === 30080));
    const pod = appDeployment(run).inputs.spec.template.spec;
    assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], undefined);
    assert.deepEqual(pod.tolerations ?? [], []);
    assert.equal(env(pod, "EXECUTION_PROVIDER"), "cpu");
    assert.equal(run.outputs.kubeconfig, undefined);
  });
});

for (const stack of ["dev", "staging", "prod"] as const satisfies StackName[]) {
  describe(`${stack} stack (AWS)`, () => {
    it("has a VPC with private node subnets, public LB subnets and their discovery tags", async () => {
      const vpc = one(await runStack(stack), "awsx:ec2:Vpc");
      const byType = Object.fromEntries(vpc.inputs.subnetSpecs.map((s: any) => [s.type, s.tags]));
      assert.equal(byType.Private["kubernetes.io/role/internal-elb"], "1");
      assert.equal(byType.Public["kubernetes.io/role/elb"], "1");
    });

    it("runs EKS in Auto Mode with access entries and an OIDC provider", async () => {
      const cluster = one(await runStack(stack), "eks:index:Cluster");
      assert.equal(cluster.inputs.autoMode.enabled, true);
      assert.deepEqual(cluster.inputs.autoMode.computeConfig.nodePools, ["system", "general-purpose"]);
      assert.equal(cluster.inputs.authenticationMode, "API");
      assert.equal(cluster.inputs.createOidcProvider, true);
    });

    it("provisions GPU pools as tainted Karpenter NodePools that scale from zero", async () => {
      const pools = ofType(await runStack(stack), NODEPOOL);
      assert.ok(pools.length >= 1);
      for (const pool of pools) {
        const spec = pool.inputs.spec;
        const req = Object.fromEntries(spec.template.spec.requirements.map((r: any) => [r.key, r.values]));
        assert.ok(req["eks.amazonaws.com/instance-family"].length > 0);
        assert.ok(req["eks.amazonaws.com/instance-family"].every((f: string) => /^(g|p)\d/.test(f)), "GPU families only");
        assert.ok(Number(req["eks.amazonaws.com/instance-gpu-count"][0]) >= 1);
        assert.ok(req["karpenter.sh/capacity-type"].length > 0);
        assert.deepEqual(spec.template.spec.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
        assert.ok(Number(spec.limits["nvidia.com/gpu"]) > 0, "a GPU limit bounds the pool");
        assert.equal(spec.replicas, undefined, "no static node count: Karpenter starts from zero");
      }
    });

    it("requests GPUs and tolerates the GPU taint, pinned to its pools, CUDA image", async () => {
      const run = await runStack(stack);
      const pod = appDeployment(run).inputs.spec.template.spec;
      const container = pod.containers[0];
      assert.equal(container.resources.limits["nvidia.com/gpu"], "1");
      assert.equal(container.resources.requests["nvidia.com/gpu"], "1");
      assert.deepEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
      const term = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
      const poolNames = ofType(run, NODEPOOL).map((p) => p.inputs.spec.template.metadata.labels["inference-platform/pool"]);
      assert.ok(term.matchExpressions[0].values.every((v: string) => poolNames.includes(v)));
      assert.equal(env(pod, "EXECUTION_PROVIDER"), "cuda");
      assert.match(container.image, DIGEST_REF);
    });

    it("fronts the app with an NLB that health-checks readiness", async () => {
      const run = await runStack(stack);
      const lb = ofType(run, "kubernetes:core/v1:Service").find((s) => s.inputs.spec.type === "LoadBalancer");
      assert.ok(lb);
      assert.equal(lb.inputs.spec.loadBalancerClass, "eks.amazonaws.com/nlb");
      const a = lb.inputs.metadata.annotations;
      assert.equal(a["service.beta.kubernetes.io/aws-load-balancer-healthcheck-path"], "/v2/health/ready");
      assert.equal(a["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
    });

    it("exports the kubeconfig as a secret-bearing output and the cluster name", async () => {
      const run = await runStack(stack);
      assert.equal(run.outputs.clusterName, `inference-${stack}`);
      assert.equal(JSON.parse(String(run.outputs.kubeconfig)).kind, "Config");
      assert.ok(run.secretOutputs.includes("kubeconfig"), "kubeconfig is a secret output");
      assert.ok(!run.secretOutputs.includes("endpointUrl"));
    });
  });
}

describe("cluster access", () => {
  it("prod grants its admin role cluster-admin by access entry", async () => {
    const cluster = one(await runStack("prod"), "eks:index:Cluster").inputs;
    const admins = Object.entries(cluster.accessEntries).filter(([key]) => key.startsWith("admin-")).map(([, e]) => e as any);
    assert.deepEqual(admins.map((e) => e.principalArn), stackValue("prod", "cluster").adminRoleArns);
    assert.equal(admins[0].accessPolicies.AmazonEKSClusterAdminPolicy.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    assert.deepEqual(admins[0].accessPolicies.AmazonEKSClusterAdminPolicy.accessScope, { type: "cluster" });
  });

  for (const stack of ["dev", "staging", "prod"] as const) {
    it(`${stack}: CI's deploy role is cluster-admin and its preview role reads everything, by access entries`, async () => {
      const entries = one(await runStack(stack), "eks:index:Cluster").inputs.accessEntries;
      const policies = (key: string) => Object.values(entries[key].accessPolicies).map((p: any) => [p.policyArn.split("/").pop(), p.accessScope.type]);
      assert.equal(entries["ci-deploy"].principalArn, stackValue(stack, "cluster").deployRoleArn);
      assert.deepEqual(policies("ci-deploy"), [["AmazonEKSClusterAdminPolicy", "cluster"]]);
      assert.equal(entries["ci-preview"].principalArn, stackValue(stack, "cluster").previewRoleArn);
      assert.deepEqual(policies("ci-preview"), [["AmazonEKSAdminViewPolicy", "cluster"]]);
    });
  }

  it("an AWS stack without CI roles is refused with the key and what to set", async () => {
    const { deployRoleArn: _d, ...cluster } = stackValue("staging", "cluster");
    await assert.rejects(runStack(stackWith("staging", { cluster })), /cluster\.deployRoleArn: required: the ARN of CI's deploy role/);
    const same = { ...stackValue("staging", "cluster"), previewRoleArn: stackValue("staging", "cluster").deployRoleArn };
    await assert.rejects(runStack(stackWith("staging", { cluster: same })), /cluster\.previewRoleArn: must differ from deployRoleArn/);
  });
});

describe("promotion by digest", () => {
  it("dev builds the CUDA image and pushes it to a scanned ECR repository whose release tags are immutable with registry cache", async () => {
    const run = await runStack("dev");
    const image = one(run, "docker-build:index:Image");
    assert.equal(image.inputs.push, true);
    assert.match(image.inputs.dockerfile.location, /app\/Dockerfile\.cuda$/);
    assert.ok(image.inputs.cacheFrom[0].registry.ref.includes("-cache:"));
    assert.equal(image.inputs.cacheTo[0].registry.mode, "max", "an update (not a preview) writes the shared build cache");
    assert.equal(image.opts.retainOnDelete, true, "dropping or replacing the Image (rollback's image.ref, destroy) must not delete the pushed digest other stacks run");
    const repos = ofType(run, "aws:ecr/repository:Repository");
    const main = repos.find((r) => r.inputs.name === "inference-platform-dev");
    assert.equal(main?.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    assert.equal(main?.inputs.imageScanningConfiguration.scanOnPush, true);
    assert.ok(ofType(run, "aws:ecr/lifecyclePolicy:LifecyclePolicy").length >= 1);
    assert.equal(run.outputs.imageRef, `${main?.state.repositoryUrl}@${image.state.digest}`);
  });

  for (const [stack, below] of [["staging", "dev"], ["prod", "staging"]] as const) {
    it(`${stack} builds nothing and deploys the digest ${below} runs`, async () => {
      const run = await runStack(stack);
      assert.deepEqual(ofType(run, "docker-build:index:Image"), []);
      assert.deepEqual(ofType(run, "aws:ecr/repository:Repository"), []);
      const ref = ofType(run, "pulumi:pulumi:StackReference").find((r) => r.inputs.name.endsWith(`/${below}`));
      assert.ok(ref, `a StackReference to ${below}`);
      assert.equal(ref.inputs.name, `organization/inference-platform/${below}`);
      const image = appDeployment(run).inputs.spec.template.spec.containers[0].image;
      assert.equal(image, ref.state.outputs.imageRef);
      assert.equal(run.outputs.imageRef, image);
    });
  }

  it("a digest that CI pins in config wins over the stack reference", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const pinned = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference-platform-dev@${digest}`;
    const run = await runStack(stackWith("staging", { image: { ...stackValue("staging", "image"), ref: pinned } }));
    assert.ok(!ofType(run, "pulumi:pulumi:StackReference").some((r) => r.inputs.name.endsWith("/dev")));
    assert.equal(appDeployment(run).inputs.spec.template.spec.containers[0].image, pinned);
    assert.equal(run.outputs.imageDigest, digest);
  });
});

describe("protection", () => {
  // Remote components protect a child through a transform (infra/protection.ts); run it as the engine would.
  const protectsChild = (run: ProgramRun, component: string, childType: string) =>
    transformedOptions(run.transforms.get(one(run, component).urn) ?? [], childType).protect === true;

  it("prod protects the ElastiCache group and no component: protect on a component would pass to all its children", async () => {
    const run = await runStack("prod");
    assert.deepEqual(run.resources.filter((r) => r.opts.protect).map((r) => r.type), ["aws:elasticache/replicationGroup:ReplicationGroup"]);
    assert.equal(appDeployment(run).opts.protect, false);
  });

  it("prod protects the EKS cluster inside the eks component, and none of its roles, access entries or providers", async () => {
    const run = await runStack("prod");
    assert.equal(protectsChild(run, "eks:index:Cluster", "aws:eks/cluster:Cluster"), true);
    for (const type of ["aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:ec2/securityGroup:SecurityGroup", "pulumi:providers:kubernetes"]) {
      assert.equal(protectsChild(run, "eks:index:Cluster", type), false, type);
    }
    assert.equal(one(run, "eks:index:Cluster").inputs.deletionProtection, true);
  });

  it("prod protects the VPC inside the awsx component, and none of its subnets, routes or gateways", async () => {
    const run = await runStack("prod");
    assert.equal(protectsChild(run, "awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"), true);
    for (const type of ["aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/route:Route", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway"]) {
      assert.equal(protectsChild(run, "awsx:ec2:Vpc", type), false, type);
    }
  });

  it("the building stack with protect on protects its image repository only, not the build cache, policies or rules", async () => {
    const run = await runStack(stackWith("dev", { protect: true }));
    const repos = ofType(run, "aws:ecr/repository:Repository");
    assert.deepEqual(repos.filter((r) => r.opts.protect).map((r) => r.inputs.name), ["inference-platform-dev"]);
    assert.deepEqual(ofType(run, "inference-platform:infra:Registry").map((r) => r.opts.protect), [false]);
    assert.deepEqual(ofType(run, "aws:ecr/lifecyclePolicy:LifecyclePolicy").filter((r) => r.opts.protect), []);
  });

  for (const stack of ["local", "dev", "staging"] as const) {
    it(`${stack} protects nothing, directly or through a transform`, async () => {
      const run = await runStack(stack);
      assert.deepEqual(run.resources.filter((r) => r.opts.protect).map((r) => r.type), []);
      const viaTransforms = run.resources.flatMap((r) => PROTECTED_TYPES.filter((t) => transformedOptions(run.transforms.get(r.urn) ?? [], t).protect));
      assert.deepEqual(viaTransforms, []);
    });
  }
});

function env(pod: any, name: string): string | undefined {
  return pod.containers[0].env.find((e: any) => e.name === name)?.value;
}

