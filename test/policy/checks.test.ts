// Each guardrail on hand-made resources: what passes, and what it reports when broken.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as checks from "../../policy/checks.js";
import type { Subject } from "../../policy/checks.js";

const d = `sha256:${"ab".repeat(32)}`;

function container(over: Record<string, unknown> = {}) {
  return {
    name: "server",
    image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@${d}`,
    resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
    ...over,
  };
}

function deployment(pod: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, name = "app"): Subject {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name,
    protect: false,
    props: {
      metadata: { name, namespace: "inference" },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name, tier: "server" } }, spec: { containers: [container()], ...pod } },
        ...spec,
      },
    },
  };
}

const gpuContainer = container({ resources: { requests: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1" }, limits: { memory: "1Gi", "nvidia.com/gpu": "1" } } });
const gpuToleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };

describe("container-resources", () => {
  it("passes containers with cpu/memory requests and a memory limit", () => {
    assert.deepEqual(checks.containerResources(deployment()), []);
  });
  it("names each missing field, init containers included", () => {
    const bare = deployment({ initContainers: [{ name: "init", image: "x" }], containers: [container({ resources: { requests: { cpu: "1" } } })] });
    assert.deepEqual(checks.containerResources(bare), [
      'Deployment app container "init" has no requests.cpu, requests.memory, limits.memory',
      'Deployment app container "server" has no requests.memory, limits.memory',
    ]);
  });
  it("finds the pod spec of a CronJob and ignores kinds that run no pods", () => {
    const cron: Subject = { type: "kubernetes:batch/v1:CronJob", name: "c", protect: false, props: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "x" }] } } } } } } };
    assert.equal(checks.containerResources(cron).length, 1);
    assert.deepEqual(checks.containerResources({ type: "kubernetes:core/v1:Service", name: "s", protect: false, props: {} }), []);
  });
});

describe("images-pinned-by-digest", () => {
  it("passes digest-pinned images and reports tags", () => {
    assert.deepEqual(checks.imagesPinnedByDigest(deployment()), []);
    assert.match(checks.imagesPinnedByDigest(deployment({ containers: [container({ image: "valkey/valkey:8.1-alpine" })] }))[0]!, /"valkey\/valkey:8.1-alpine" is not pinned by digest/);
  });
});

describe("non-root-unprivileged", () => {
  it("accepts runAsNonRoot from the pod or the container", () => {
    assert.deepEqual(checks.nonRootUnprivileged(deployment()), []);
    const podLevel = deployment({ securityContext: { runAsNonRoot: true, runAsUser: 1000 }, containers: [container({ securityContext: {} })] });
    assert.deepEqual(checks.nonRootUnprivileged(podLevel), []);
  });
  it("reports privileged containers, uid 0 and a missing runAsNonRoot", () => {
    assert.match(checks.nonRootUnprivileged(deployment({ containers: [container({ securityContext: { runAsNonRoot: true, privileged: true } })] }))[0]!, /is privileged/);
    assert.match(checks.nonRootUnprivileged(deployment({ securityContext: { runAsUser: 0 }, containers: [container({ securityContext: {} })] }))[0]!, /runs as uid 0/);
    assert.match(checks.nonRootUnprivileged(deployment({ containers: [container({ securityContext: {} })] }))[0]!, /may run as root/);
  });
});

describe("gpu-pods-tolerate-and-request", () => {
  it("passes CPU pods and GPU pods that tolerate the taint and request GPUs", () => {
    assert.deepEqual(checks.gpuPodsTolerateAndRequest(deployment()), []);
    assert.deepEqual(checks.gpuPodsTolerateAndRequest(deployment({ containers: [gpuContainer], tolerations: [gpuToleration] })), []);
  });
  it("reports a GPU request without the toleration", () => {
    assert.deepEqual(checks.gpuPodsTolerateAndRequest(deployment({ containers: [gpuContainer] })), [
      "Deployment app runs on GPU nodes but does not tolerate the nvidia.com/gpu:NoSchedule taint",
    ]);
  });
  it("reports a pod aimed at GPU nodes that requests no GPU, but not a DaemonSet agent", () => {
    const aimed = { nodeSelector: { "karpenter.k8s.aws/instance-gpu-count": "1" }, tolerations: [gpuToleration] };
    assert.deepEqual(checks.gpuPodsTolerateAndRequest(deployment(aimed)), ["Deployment app targets GPU nodes but requests no nvidia.com/gpu"]);
    assert.deepEqual(checks.gpuPodsTolerateAndRequest({ ...deployment(aimed), type: "kubernetes:apps/v1:DaemonSet" }), []);
  });
});

describe("gpu-nodes-tainted", () => {
  const nodePool = (requirements: unknown[], taints: unknown[]): Subject => ({
    type: "kubernetes:karpenter.sh/v1:NodePool",
    name: "gpu-l4",
    protect: false,
    props: { spec: { template: { spec: { requirements, taints } } } },
  });
  const gpuReq = { key: "eks.amazonaws.com/instance-gpu-count", operator: "In", values: ["1"] };
  it("passes tainted GPU pools and CPU pools without a taint", () => {
    assert.deepEqual(checks.gpuNodesTainted(nodePool([gpuReq], [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }])), []);
    assert.deepEqual(checks.gpuNodesTainted(nodePool([{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }], [])), []);
  });
  it("reports a GPU pool without the taint, or with a softer effect", () => {
    assert.deepEqual(checks.gpuNodesTainted(nodePool([gpuReq], [])), ["NodePool gpu-l4 launches GPU nodes without the nvidia.com/gpu:NoSchedule taint"]);
    assert.equal(checks.gpuNodesTainted(nodePool([gpuReq], [{ key: "nvidia.com/gpu", effect: "PreferNoSchedule" }])).length, 1);
  });
});

describe("elasticache-encrypted-auth", () => {
  const rg = (props: Record<string, unknown>): Subject => ({ type: "aws:elasticache/replicationGroup:ReplicationGroup", name: "cache", protect: true, props });
  it("passes a group with both encryptions and an AUTH token", () => {
    assert.deepEqual(checks.elastiCacheEncrypted(rg({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, authToken: "s3cret" })), []);
  });
  it("reports each missing protection", () => {
    assert.deepEqual(checks.elastiCacheEncrypted(rg({ atRestEncryptionEnabled: false })), [
      "ReplicationGroup cache must set transitEncryptionEnabled: true",
      "ReplicationGroup cache must set atRestEncryptionEnabled: true",
      "ReplicationGroup cache must require AUTH (authToken or userGroupIds)",
    ]);
  });
});

describe("nodes-in-private-subnets", () => {
  const cluster = (props: Record<string, unknown>): Subject => ({ type: "eks:index:Cluster", name: "cluster", protect: true, props });
  it("passes a cluster with private node subnets", () => {
    assert.deepEqual(checks.nodesInPrivateSubnets(cluster({ privateSubnetIds: ["p1"], publicSubnetIds: ["u1"] })), []);
  });
  it("reports public-only clusters, public node IPs and nodes placed in public subnets", () => {
    assert.match(checks.nodesInPrivateSubnets(cluster({ publicSubnetIds: ["u1"] }))[0]!, /no privateSubnetIds/);
    assert.match(checks.nodesInPrivateSubnets(cluster({ privateSubnetIds: ["p1"], nodeAssociatePublicIpAddress: true }))[0]!, /public IPs/);
    assert.match(checks.nodesInPrivateSubnets(cluster({ privateSubnetIds: ["p1"], publicSubnetIds: ["u1"], nodeSubnetIds: ["u1"] }))[0]!, /nodeSubnetIds/);
  });
  it("reports node classes that select the public load balancer subnets or ask for public IPs", () => {
    const nodeClass = (spec: Record<string, unknown>): Subject => ({ type: "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", name: "gpu", protect: false, props: { spec } });
    assert.deepEqual(checks.nodesInPrivateSubnets(nodeClass({ subnetSelectorTerms: [{ tags: { "kubernetes.io/role/internal-elb": "1" } }] })), []);
    assert.match(checks.nodesInPrivateSubnets(nodeClass({ subnetSelectorTerms: [{ tags: { "kubernetes.io/role/elb": "1" } }] }))[0]!, /selects the public load balancer subnets/);
    const auto: Subject = { type: "kubernetes:eks.amazonaws.com/v1:NodeClass", name: "auto", protect: false, props: { spec: { advancedNetworking: { associatePublicIPAddress: true } } } };
    assert.match(checks.nodesInPrivateSubnets(auto)[0]!, /NodeClass auto gives nodes public IPs/);
  });
});

describe("node-groups-in-private-subnets", () => {
  const subnet = (id: string, pub: boolean): Subject => ({ type: "aws:ec2/subnet:Subnet", name: id, protect: false, props: { id, mapPublicIpOnLaunch: pub } });
  const group = (ids: string[]): Subject => ({ type: "aws:eks/nodeGroup:NodeGroup", name: "ng", protect: false, props: { subnetIds: ids } });
  it("passes node groups in private subnets and reports public ones", () => {
    assert.deepEqual(checks.nodeGroupsInPrivateSubnets([subnet("a", false), subnet("b", true), group(["a"])]), []);
    assert.deepEqual(checks.nodeGroupsInPrivateSubnets([subnet("a", false), subnet("b", true), group(["a", "b"])]), ["node group ng uses public subnets b"]);
  });
});

describe("stateful-protected", () => {
  const subject = (type: string, protect: boolean, props: Record<string, unknown> = {}): Subject => ({ type, name: "x", protect, props });
  it("reports each unprotected stateful type: the cache, the image repository, the EKS cluster, the VPC", () => {
    for (const type of ["aws:elasticache/replicationGroup:ReplicationGroup", "aws:ecr/repository:Repository", "aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc"]) {
      assert.deepEqual(checks.statefulProtected(subject(type, true)), [], type);
      assert.deepEqual(checks.statefulProtected(subject(type, false)), [`${type} x is stateful and must be protected (resource option protect: true)`]);
    }
  });
  it("lets an ECR repository that declares its images disposable (forceDelete: a build cache) go unprotected", () => {
    assert.deepEqual(checks.statefulProtected(subject("aws:ecr/repository:Repository", false, { forceDelete: true })), []);
    assert.equal(checks.statefulProtected(subject("aws:ecr/repository:Repository", false, { forceDelete: false })).length, 1);
  });
  it("ignores what holds no data: subnets, roles, access entries, workloads", () => {
    for (const type of ["aws:ec2/subnet:Subnet", "aws:iam/role:Role", "aws:eks/accessEntry:AccessEntry", "kubernetes:apps/v1:Deployment"]) {
      assert.deepEqual(checks.statefulProtected(subject(type, false)), [], type);
    }
  });
  it("reports a protected component, whose protect every child would inherit", () => {
    for (const type of ["eks:index:Cluster", "awsx:ec2:Vpc", "inference-platform:infra:Cluster"]) {
      assert.match(checks.statefulProtected(subject(type, true))[0]!, /is a component: protect would pass to all its children/, type);
      assert.deepEqual(checks.statefulProtected(subject(type, false)), [], type);
    }
  });
});

describe("load-balancer-tls", () => {
  const svc = (annotations: Record<string, string>, type = "LoadBalancer"): Subject => ({ type: "kubernetes:core/v1:Service", name: "lb", protect: false, props: { metadata: { annotations }, spec: { type } } });
  it("passes NLB Services with a certificate and ignores internal Services", () => {
    assert.deepEqual(checks.loadBalancerTls(svc({ "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:x" })), []);
    assert.deepEqual(checks.loadBalancerTls(svc({}, "ClusterIP")), []);
  });
  it("reports plain load balancers, ingresses and listeners", () => {
    assert.match(checks.loadBalancerTls(svc({}))[0]!, /without TLS/);
    assert.match(checks.loadBalancerTls({ type: "kubernetes:networking.k8s.io/v1:Ingress", name: "in", protect: false, props: { metadata: {} } })[0]!, /no TLS certificate/);
    assert.match(checks.loadBalancerTls({ type: "aws:lb/listener:Listener", name: "l", protect: false, props: { protocol: "HTTP" } })[0]!, /uses HTTP/);
    assert.deepEqual(checks.loadBalancerTls({ type: "aws:lb/listener:Listener", name: "l", protect: false, props: { protocol: "TLS" } }), []);
  });
});

describe("deployments-have-pdb", () => {
  const pdb = (labels: Record<string, string>, namespace = "inference"): Subject => ({
    type: "kubernetes:policy/v1:PodDisruptionBudget",
    name: "pdb",
    protect: false,
    props: { metadata: { namespace }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
  });
  it("passes a replicated Deployment whose pods a PDB selects, and single-replica ones without", () => {
    assert.deepEqual(checks.deploymentsHavePdb([deployment(), pdb({ app: "app" })]), []);
    assert.deepEqual(checks.deploymentsHavePdb([deployment({}, { replicas: 1 })]), []);
  });
  it("reports a Deployment no PDB selects, in its namespace", () => {
    assert.deepEqual(checks.deploymentsHavePdb([deployment({}, { replicas: 3 })]), ["Deployment app has no PodDisruptionBudget selecting its pods"]);
    assert.equal(checks.deploymentsHavePdb([deployment(), pdb({ app: "other" })]).length, 1);
    assert.equal(checks.deploymentsHavePdb([deployment(), pdb({ app: "app" }, "elsewhere")]).length, 1);
  });
});

describe("alerts-present", () => {
  const rule = (rules: unknown[]): Subject => ({ type: "kubernetes:monitoring.coreos.com/v1:PrometheusRule", name: "r", protect: false, props: { spec: { groups: [{ name: "g", rules }] } } });
  it("passes a stack with an alerting rule", () => {
    assert.deepEqual(checks.alertsPresent([rule([{ alert: "HighLatency", expr: "1" }])]), []);
  });
  it("reports a stack with no rule or only recording rules", () => {
    assert.equal(checks.alertsPresent([]).length, 1);
    assert.equal(checks.alertsPresent([rule([{ record: "x:y", expr: "1" }])]).length, 1);
  });
});

describe("ci-access-entries", () => {
  const entry = (arn: string, policy: string, scope = "cluster") => ({
    principalArn: arn,
    accessPolicies: { p: { policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`, accessScope: { type: scope } } },
  });
  const cluster = (accessEntries: Record<string, unknown>): Subject => ({ type: "eks:index:Cluster", name: "cluster", protect: false, props: { accessEntries } });
  const ok = { "ci-deploy": entry("arn:aws:iam::1:role/d", "AmazonEKSClusterAdminPolicy"), "ci-preview": entry("arn:aws:iam::1:role/p", "AmazonEKSAdminViewPolicy") };

  it("passes a cluster with both CI entries at cluster scope", () => {
    assert.deepEqual(checks.ciAccessEntries(cluster(ok)), []);
  });

  it("refuses a cluster without them, or with too little access", () => {
    assert.deepEqual(checks.ciAccessEntries(cluster({})), [
      'eks Cluster cluster has no access entry "ci-deploy" for CI\'s deploy role',
      'eks Cluster cluster has no access entry "ci-preview" for CI\'s preview role',
    ]);
    const weak = { ...ok, "ci-deploy": entry("arn:aws:iam::1:role/d", "AmazonEKSAdminPolicy"), "ci-preview": entry("arn:aws:iam::1:role/p", "AmazonEKSAdminViewPolicy", "namespace") };
    assert.equal(checks.ciAccessEntries(cluster(weak)).length, 2);
  });
});
