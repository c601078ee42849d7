// Stack configuration: one typed object with per-environment defaults, and a bad
// value stops the program before any resource with one message naming it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS, ConfigError, parseCidr, parseConfig } from "../../infra/config.js";
import { hostPlatform } from "../../infra/cluster/local-cluster.js";
import { flattenConfig, readStackConfig } from "../../scripts/lib/mock-program.js";
import { runStack, stackFile, stackValue, stackWith, STACKS, type StackName } from "../support/pulumi-program.js";

/** A stack's flat config with some of our keys replaced (undefined removes), as Pulumi would hand it over. */
function configWith(stack: StackName, changes: Record<string, unknown>): Record<string, string> {
  const source = stackWith(stack, changes) as { config: Record<string, unknown> };
  return flattenConfig(source.config).config;
}

const devPool = () => stackValue("dev", "gpuPools")[0];

/** [what is wrong, stack, changes, the message it must give] */
const BAD: [string, StackName, Record<string, unknown>, RegExp][] = [
  ["an unknown top-level key", "dev", { replica: 3 }, /inference-platform: unknown key "replica"; allowed: environment, .*app/],
  ["an unknown nested key", "dev", { app: { ...stackValue("dev", "app"), replica: 3 } }, /app: unknown key "replica"; allowed: namespace, replicas, pools/],
  ["a misspelt namespace", "dev", { "inference-platfrom:app": {} }, /inference-platfrom:app: unknown config namespace "inference-platfrom"; allowed: inference-platform, aws/],
  ["no environment", "dev", { environment: undefined }, /environment: undefined is not one of local, dev, staging, prod/],
  ["an unknown environment", "dev", { environment: "qa" }, /environment: "qa" is not one of local, dev, staging, prod/],
  ["a missing region", "dev", { "aws:region": undefined }, /region: aws:region is required for the dev stack/],
  ["min > max", "dev", { autoscaling: { ...stackValue("dev", "autoscaling"), minReplicas: 3, maxReplicas: 2 } }, /autoscaling\.minReplicas: min \(3\) > max \(2\)/],
  ["a non-GPU family in a GPU pool", "dev", { gpuPools: [{ ...devPool(), instanceFamilies: ["g6", "m5"] }] }, /gpuPools\[0\]\.instanceFamilies\[1\]: not a GPU instance family; allowed: g4dn, g5, g6.* \(got "m5"\)/],
  ["a GPU count the family lacks", "dev", { gpuPools: [{ ...devPool(), instanceFamilies: ["g6"], gpuCount: 2 }] }, /gpuPools\[0\]\.instanceFamilies\[0\]: g6 has no type with 2 GPUs \(it offers 1, 4, 8\)/],
  ["a CIDR that does not parse", "dev", { network: { ...stackValue("dev", "network"), cidr: "10.0.0/16" } }, /network\.cidr: not an IPv4 CIDR .* \(got "10\.0\.0\/16"\)/],
  ["a CIDR with host bits", "dev", { network: { ...stackValue("dev", "network"), cidr: "10.0.0.1/16" } }, /network\.cidr: not an IPv4 CIDR .*zero host bits \(got "10\.0\.0\.1\/16"\)/],
  ["a VPC too small", "dev", { network: { ...stackValue("dev", "network"), cidr: "10.0.0.0/26" } }, /network\.cidr: .*n in 16\.\.22/],
  ["a bad client CIDR", "staging", { loadBalancer: { ...stackValue("staging", "loadBalancer"), allowedCidrs: ["0.0.0.0/40"] } }, /loadBalancer\.allowedCidrs\[0\]: not an IPv4 CIDR/],
  ["a capacity type Karpenter lacks", "dev", { gpuPools: [{ ...devPool(), capacityTypes: ["reserved-ish"] }] }, /gpuPools\[0\]\.capacityTypes\[0\]: .*"spot"\|"on-demand"|gpuPools\[0\]\.capacityTypes\[0\]: .*spot.*on-demand/],
  ["an app in a pool that does not exist", "dev", { app: { ...stackValue("dev", "app"), pools: ["a100"] } }, /app\.pools\[0\]: "a100" is not allowed; allowed: \["cpu"\] alone, or GPU pools of this stack: l4/],
  ["more GPUs per pod than a node has", "dev", { app: { ...stackValue("dev", "app"), gpusPerReplica: 2 } }, /app\.gpusPerReplica: 2 exceeds the 1 GPUs/],
  ["more replicas than the pools hold", "dev", { gpuPools: [{ ...devPool(), maxGpus: 2 }] }, /app\.pools: pools l4 allow 2 GPUs in all, enough for 2 replicas, but the app may run 4/],
  ["duplicate pool names", "prod", { gpuPools: [stackValue("prod", "gpuPools")[0], stackValue("prod", "gpuPools")[0]] }, /gpuPools\[1\]\.name: duplicate pool name "l4"/],
  ["build and promote at once", "staging", { image: { ...stackValue("staging", "image"), build: true } }, /image: set either build: true .* or promoteFrom \/ ref/],
  ["an image ref without digest", "staging", { image: { ...stackValue("staging", "image"), ref: "repo/app:latest" } }, /image\.ref: must be pinned by digest: <repository>@sha256:<64 hex> \(got "repo\/app:latest"\)/],
  ["a certificate that is not an ACM ARN", "prod", { loadBalancer: { ...stackValue("prod", "loadBalancer"), certificateArn: "my-cert" } }, /loadBalancer\.certificateArn: must be an ACM certificate ARN \(got "my-cert"\)/],
  ["TLS without the name the certificate covers", "prod", { loadBalancer: { ...stackValue("prod", "loadBalancer"), hostname: undefined, hostedZoneId: undefined } }, /loadBalancer\.hostname: TLS needs the name the certificate covers, which clients call/],
  ["a hosted zone without a hostname", "dev", { loadBalancer: { ...stackValue("dev", "loadBalancer"), hostedZoneId: "Z0123456789EXAMPLEZONE" } }, /loadBalancer\.hostedZoneId: needs loadBalancer\.hostname: the record to create/],
  ["a hostname that is not a DNS name", "prod", { loadBalancer: { ...stackValue("prod", "loadBalancer"), hostname: "https://Infer.example.com" } }, /loadBalancer\.hostname: must be a lower-case DNS name such as infer\.example\.com/],
  ["a wrong type", "dev", { app: { ...stackValue("dev", "app"), cpu: 2 } }, /app\.cpu: .*expected string, received number \(got 2\)/],
  ["a memory unit on the CPU request", "dev", { app: { ...stackValue("dev", "app"), cpu: "4Gi" } }, /app\.cpu: must be a CPU quantity in cores or millicores such as 2, 1\.5, 500m \(got "4Gi"\)/],
  ["a bad memory quantity", "dev", { app: { ...stackValue("dev", "app"), memory: "lots" } }, /app\.memory: must be a Kubernetes quantity .* \(got "lots"\)/],
  ["GPU pools in the local stack", "local", { gpuPools: [devPool()] }, /gpuPools: the local stack runs on CPU only/],
  ["the gRPC node port on the REST one", "local", { loadBalancer: { ...stackValue("local", "loadBalancer"), grpcNodePort: 30080 } }, /loadBalancer\.grpcNodePort: must differ from loadBalancer\.nodePort \(30080\): one node port per listener/],
  ["a gRPC node port outside the node port range", "local", { loadBalancer: { ...stackValue("local", "loadBalancer"), grpcNodePort: 8081 } }, /loadBalancer\.grpcNodePort: .*8081/],
  ["an NLB in the local stack", "local", { loadBalancer: { type: "nlb" } }, /loadBalancer\.type: "nlb" needs AWS; use "nodePort" or "loadBalancer"/],
  ["a cluster in the local stack", "local", { cluster: { name: "x" } }, /cluster: the local stack uses the current kubeconfig and creates no AWS resources/],
  ["the region in our namespace", "dev", { region: "us-east-1" }, /inference-platform:region: set the region as aws:region/],
  ["a local cluster kind it does not know", "local", { local: { cluster: "k3d" } }, /local\.cluster: must be one of kind, minikube, docker-desktop, other \(got "k3d"\)/],
  ["a cluster name on Docker Desktop", "local", { local: { cluster: "docker-desktop", clusterName: "desktop" } }, /local\.clusterName: only kind and minikube clusters have names \(local\.cluster is "docker-desktop"\)/],
  ["a cluster name the tools' names cannot be", "local", { local: { cluster: "kind", clusterName: "My Cluster" } }, /local\.clusterName: must be a DNS-1123 label .* \(got "My Cluster"\)/],
  ["a local cluster in an AWS stack", "dev", { local: { cluster: "kind" } }, /local: local\.cluster and local\.clusterName are for the local stack/],
];

describe("bad stack configuration", () => {
  for (const [what, stack, changes, message] of BAD) {
    it(`${what} (${stack}) is refused with a message naming it`, () => {
      assert.throws(() => parseConfig(configWith(stack, changes)), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /^Invalid stack configuration:\n/);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it("lists every problem in one message", () => {
    const config = configWith("dev", { "aws:region": undefined, app: { ...stackValue("dev", "app"), replica: 1, memory: "lots" } });
    assert.throws(() => parseConfig(config), (e: Error) => {
      const lines = e.message.split("\n").filter((l) => l.startsWith("  - "));
      assert.ok(lines.some((l) => l.includes("replica")) && lines.some((l) => l.includes("region")), e.message);
      return true;
    });
  });

  it("stops the program before any resource is registered", async () => {
    await assert.rejects(runStack(stackWith("dev", { "aws:region": undefined })), (e: Error & { registeredBeforeFailure?: unknown[] }) => {
      assert.match(e.message, /aws:region is required/);
      assert.deepEqual(e.registeredBeforeFailure, []);
      return true;
    });
  });
});

describe("good stack configuration", () => {
  for (const stack of STACKS) {
    it(`${stack}: the stack file parses, with its environment's defaults filled in`, () => {
      const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
      assert.equal(cfg.environment, stack);
      assert.equal(cfg.protect, DEFAULTS[stack].protect);
      assert.equal(cfg.app.namespace, "inference");
    });
  }

  it("a stack file's value wins over the default, key by key", () => {
    const cfg = parseConfig(configWith("dev", { app: { pools: ["l4"], shutdownGraceMs: 45_000 } }));
    assert.equal(cfg.app.shutdownGraceMs, 45_000);
    assert.equal(cfg.app.maxBatchSize, DEFAULTS.dev.app?.maxBatchSize);
  });

  it("the local stack defaults to a kind cluster and to an image for the host's architecture", () => {
    const cfg = parseConfig(readStackConfig(stackFile("local")).config);
    assert.equal(cfg.local.cluster, "kind");
    assert.equal(cfg.image.platform, hostPlatform(process.arch));
    assert.equal(parseConfig(readStackConfig(stackFile("dev")).config).image.platform, "linux/amd64", "EKS nodes stay amd64");
  });

  it("environments differ where they should: protection, zones, NAT, replicas", () => {
    const [dev, prod] = (["dev", "prod"] as const).map((s) => parseConfig(readStackConfig(stackFile(s)).config));
    assert.ok(dev && prod);
    assert.deepEqual([dev.protect, prod.protect], [false, true]);
    assert.deepEqual([dev.network?.natGateways, prod.network?.natGateways], ["single", "one-per-az"]);
    assert.ok((prod.network?.azCount ?? 0) > (dev.network?.azCount ?? 0));
    assert.ok(prod.autoscaling.minReplicas > dev.autoscaling.minReplicas);
    assert.ok(prod.gpuPools.some((p) => !p.capacityTypes.includes("spot")), "prod has an on-demand base pool");
    assert.ok(dev.gpuPools.every((p) => p.capacityTypes.includes("spot")), "dev runs on spot first");
  });
});

describe("parseCidr", () => {
  it("reads address and prefix of a network", () => {
    assert.deepEqual(parseCidr("10.20.0.0/16"), { address: (10 << 24) + (20 << 16), prefix: 16 });
    assert.deepEqual(parseCidr("0.0.0.0/0"), { address: 0, prefix: 0 });
  });
  it("refuses malformed text, octets over 255, prefixes over 32 and host bits", () => {
    for (const bad of ["10.0.0.0", "10.0.0/8", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.1/24", " 10.0.0.0/8", "a.b.c.d/8"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });
});
