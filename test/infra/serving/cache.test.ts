// The result cache as each stack declares it: ElastiCache for Valkey with TLS, AUTH
// and encryption in AWS stacks, an in-cluster Valkey in local, and the app reading
// the connection only from a Secret.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../infra/config.js";
import { readStackConfig } from "../../../scripts/lib/mock-program.js";
import { runStack, ofType, one, stackFile, stackWith, type ProgramRun, type RecordedResource } from "../../support/pulumi-program.js";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SECRET = "kubernetes:core/v1:Secret";

function named(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = ofType(run, type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `${run.stack}: expected one ${type} named ${name}`);
  return found[0]!;
}

function appContainer(run: ProgramRun) {
  return named(run, "kubernetes:apps/v1:Deployment", "inference").inputs.spec.template.spec.containers[0];
}

const expected = {
  dev: { nodes: 1, multiAz: false, nodeType: "cache.t4g.micro" },
  staging: { nodes: 2, multiAz: false, nodeType: "cache.t4g.small" },
  prod: { nodes: 3, multiAz: true, nodeType: "cache.r7g.large" },
} as const;

for (const [stack, want] of Object.entries(expected) as [keyof typeof expected, (typeof expected)[keyof typeof expected]][]) {
  describe(`${stack}: ElastiCache for Valkey`, () => {
    it("is a replication group sized by the stack, Multi-AZ with failover only where asked", async () => {
      const g = one(await runStack(stack), GROUP).inputs;
      assert.equal(g.engine, "valkey");
      assert.equal(g.nodeType, want.nodeType);
      assert.equal(g.numCacheClusters, want.nodes);
      assert.equal(g.multiAzEnabled, want.multiAz);
      assert.equal(g.automaticFailoverEnabled, want.multiAz);
    });

    it("requires TLS in transit, encrypts at rest and uses a generated AUTH token kept secret", async () => {
      const run = await runStack(stack);
      const group = one(run, GROUP);
      assert.equal(group.inputs.transitEncryptionEnabled, true);
      assert.equal(group.inputs.transitEncryptionMode, "required");
      assert.equal(group.inputs.atRestEncryptionEnabled, true);
      const token = named(run, PASSWORD, "cache-auth-token");
      assert.equal(group.inputs.authToken, token.state.result);
      assert.ok(group.secrets.includes("authToken"), "authToken must be a Pulumi secret");
      assert.ok(token.inputs.length >= 16 && token.inputs.length <= 128, "ElastiCache tokens are 16-128 characters");
      assert.equal(token.inputs.special, false);
    });

    it("lives in the private subnets behind a security group open to the cluster only", async () => {
      const run = await runStack(stack);
      const subnets = one(run, "aws:elasticache/subnetGroup:SubnetGroup").inputs.subnetIds as string[];
      assert.ok(subnets.length >= 2 && subnets.every((s) => s.startsWith("subnet-priv")), `subnets: ${subnets}`);
      const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("cache-"));
      assert.equal(rules.length, 1);
      assert.equal(rules[0]!.inputs.referencedSecurityGroupId, "sg-cluster");
      assert.equal(rules[0]!.inputs.fromPort, 6379);
      assert.equal(rules[0]!.inputs.toPort, 6379);
      assert.equal(rules[0]!.inputs.cidrIpv4, undefined);
      const sg = named(run, "aws:ec2/securityGroup:SecurityGroup", "cache-sg").inputs;
      assert.equal(sg.ingress, undefined, "no inline ingress besides the cluster rule");
      assert.deepEqual(one(run, GROUP).inputs.securityGroupIds, ["cache-sg-id"]); // the mocks give custom resources the id "<name>-id"
    });

    it("hands the app a rediss:// URL with the token through a Secret, never a plain env value", async () => {
      const run = await runStack(stack);
      const secret = named(run, SECRET, "cache-connection");
      const token = named(run, PASSWORD, "cache-auth-token").state.result;
      assert.equal(secret.inputs.stringData.url, `rediss://:${token}@${one(run, GROUP).state.primaryEndpointAddress}:6379`);
      assert.ok(secret.secrets.includes("stringData"), "the URL must be a Pulumi secret");
      const env = appContainer(run).env as { name: string; value?: string; valueFrom?: any }[];
      const redisUrl = env.find((e) => e.name === "REDIS_URL");
      assert.deepEqual(redisUrl?.valueFrom, { secretKeyRef: { name: "redis-connection", key: "url" } });
      assert.ok(!env.some((e) => e.value?.includes(token)), "the token must not appear in a plain env value");
    });
  });
}

describe("prod: the cache is protected from deletion", () => {
  it("protects the replication group", async () => {
    assert.equal(one(await runStack("prod"), GROUP).opts.protect, true);
  });
});

describe("local: in-cluster Valkey", () => {
  it("creates no ElastiCache and runs one password-protected Valkey pod with no persistence", async () => {
    const run = await runStack("local");
    assert.equal(ofType(run, GROUP).length, 0);
    const pod = named(run, "kubernetes:apps/v1:Deployment", "cache-valkey").inputs.spec.template.spec;
    const args = pod.containers[0].args as string[];
    assert.equal(args[args.indexOf("--requirepass") + 1], "$(VALKEY_PASSWORD)");
    assert.deepEqual(pod.containers[0].env[0].valueFrom, { secretKeyRef: { name: "valkey-auth", key: "password" } });
    assert.equal(pod.securityContext.runAsNonRoot, true);
  });

  it("gives the app a redis:// URL with the same token, through the Secret", async () => {
    const run = await runStack("local");
    const token = named(run, PASSWORD, "cache-auth-token").state.result;
    assert.equal(named(run, SECRET, "cache-auth").inputs.stringData.password, token);
    assert.equal(named(run, SECRET, "cache-connection").inputs.stringData.url, `redis://:${token}@valkey.inference.svc.cluster.local:6379`);
    assert.deepEqual(appContainer(run).env.find((e: { name: string }) => e.name === "REDIS_URL").valueFrom, {
      secretKeyRef: { name: "redis-connection", key: "url" },
    });
  });

  it("admits only pods of the app's namespace", async () => {
    const policy = named(await runStack("local"), "kubernetes:networking.k8s.io/v1:NetworkPolicy", "cache-valkey").inputs.spec;
    assert.deepEqual(policy.ingress, [{ from: [{ podSelector: {} }], ports: [{ port: 6379, protocol: "TCP" }] }]);
  });
});

describe("cache configuration", () => {
  it("refuses Multi-AZ without a replica, naming the key", () => {
    const { config } = readStackConfig(stackFile("prod"));
    config["inference-platform:cache"] = JSON.stringify({ nodes: 1, multiAz: true });
    assert.throws(() => parseConfig(config), (e: Error) => e instanceof ConfigError && /cache\.multiAz: Multi-AZ failover needs a replica/.test(e.message));
  });

  it("refuses a malformed node type with what is allowed", () => {
    const { config } = readStackConfig(stackFile("dev"));
    config["inference-platform:cache"] = JSON.stringify({ nodeType: "r7g.large" });
    assert.throws(() => parseConfig(config), /cache\.nodeType: must be an ElastiCache node type such as "cache\.t4g\.small" \(got "r7g\.large"\)/);
  });

  it("without a cache the app gets no REDIS_URL and uses its in-memory cache", async () => {
    const run = await runStack(stackWith("dev", { cache: { enabled: false } }));
    assert.equal(ofType(run, GROUP).length, 0);
    assert.ok(!appContainer(run).env.some((e: { name: string }) => e.name === "REDIS_URL"));
  });
});
