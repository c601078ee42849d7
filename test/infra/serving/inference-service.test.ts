// The app's Kubernetes objects: rollouts that lose no request, a locked-down pod,
// GPU placement, secrets by reference, and traffic admitted only where it should come from.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DOCKERFILES, IMAGE_USER } from "../../../infra/delivery/app-image.js";
import { parseConfig } from "../../../infra/config.js";
import { readStackConfig } from "../../../scripts/lib/mock-program.js";
import { hostPlatform } from "../../../infra/cluster/local-cluster.js";
import { ofType, REPO_ROOT, runStack, stackFile, stackValue, stackWith, STACKS, type ProgramRun } from "../../support/pulumi-program.js";

const app = (run: ProgramRun, type: string) => {
  const found = ofType(run, type).filter((r) => r.name === "inference");
  assert.equal(found.length, 1, `${run.stack}: one ${type} named inference`);
  return found[0]!;
};
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

for (const stack of STACKS) {
  describe(`inference service in ${stack}`, () => {
    it("rolls out surge-first, readiness-gated, with preStop inside the grace period", async () => {
      const run = await runStack(stack);
      const spec = app(run, DEPLOYMENT).inputs.spec;
      assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      const pod = spec.template.spec;
      const c = pod.containers[0];
      assert.equal(c.readinessProbe.httpGet.path, "/v2/health/ready");
      assert.equal(c.livenessProbe.httpGet.path, "/v2/health/live");
      const preStop = c.lifecycle.preStop.sleep.seconds;
      const drain = Number(c.env.find((e: any) => e.name === "SHUTDOWN_GRACE_MS").value) / 1000;
      assert.ok(preStop > 0);
      assert.ok(pod.terminationGracePeriodSeconds > preStop + drain, "SIGKILL only after preStop and the app's drain");
    });

    it("runs non-root as the image's user, read-only root, /tmp on an emptyDir, no service account token", async () => {
      const pod = app(await runStack(stack), DEPLOYMENT).inputs.spec.template.spec;
      const c = pod.containers[0];
      assert.equal(pod.securityContext.runAsNonRoot, true);
      const variant = c.env.find((e: any) => e.name === "EXECUTION_PROVIDER").value as "cpu" | "cuda";
      assert.equal(pod.securityContext.runAsUser, IMAGE_USER[variant]);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      const tmp = c.volumeMounts.find((m: any) => m.mountPath === "/tmp");
      assert.ok(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir);
      assert.equal(pod.automountServiceAccountToken, false);
    });

    it("spreads over zones and nodes and keeps a disruption budget", async () => {
      const run = await runStack(stack);
      const pod = app(run, DEPLOYMENT).inputs.spec.template.spec;
      const keys = pod.topologySpreadConstraints.map((t: any) => t.topologyKey);
      assert.deepEqual(keys, ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      const pdb = app(run, "kubernetes:policy/v1:PodDisruptionBudget").inputs.spec;
      assert.equal(pdb.maxUnavailable, 1);
      assert.deepEqual(pdb.selector.matchLabels, app(run, DEPLOYMENT).inputs.spec.selector.matchLabels);
    });

    it("requests memory with an equal limit and CPU without a limit", async () => {
      const c = app(await runStack(stack), DEPLOYMENT).inputs.spec.template.spec.containers[0];
      assert.equal(c.resources.requests.memory, c.resources.limits.memory);
      assert.ok(c.resources.requests.cpu);
      assert.equal(c.resources.limits.cpu, undefined);
    });

    it("leaves the replica count to the autoscaler when one runs", async () => {
      const run = await runStack(stack);
      const d = app(run, DEPLOYMENT);
      const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
      if (cfg.autoscaling.enabled) {
        assert.equal(d.inputs.spec.replicas, undefined);
        assert.deepEqual(d.opts.ignoreChanges, ["spec.replicas"]);
      } else {
        assert.equal(d.inputs.spec.replicas, cfg.app.replicas);
      }
    });

    it("gets the Redis URL from a Secret, never as a literal", async () => {
      const env = app(await runStack(stack), DEPLOYMENT).inputs.spec.template.spec.containers[0].env;
      const redis = env.find((e: any) => e.name === "REDIS_URL");
      assert.ok(redis, "REDIS_URL is set (the cache is on in every stack)");
      assert.equal(redis.value, undefined);
      assert.ok(redis.valueFrom.secretKeyRef.name && redis.valueFrom.secretKeyRef.key);
    });

    it("admits the app's REST and gRPC ports only from its namespace, the LB's network and monitoring; egress only DNS and Redis", async () => {
      const run = await runStack(stack);
      const np = app(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs.spec;
      assert.deepEqual(np.policyTypes, ["Ingress", "Egress"]);
      // Every source that may call REST may call gRPC, and nothing else.
      for (const rule of np.ingress) assert.deepEqual(rule.ports, [{ port: 8080, protocol: "TCP" }, { port: 8081, protocol: "TCP" }]);
      const cidrs = np.ingress.flatMap((r: any) => r.from.filter((f: any) => f.ipBlock).map((f: any) => f.ipBlock.cidr));
      if (stack === "local") assert.deepEqual(cidrs, ["0.0.0.0/0"]);
      else assert.deepEqual(cidrs, [stackValue(stack, "network").cidr]);
      const egressPorts = np.egress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
      assert.deepEqual(egressPorts, [53, 53, 6379]);
    });

    it("serves the app port as \"http\" and the gRPC door as \"grpc\" (h2c) on a ClusterIP Service for in-cluster clients and scrapes", async () => {
      const svc = app(await runStack(stack), "kubernetes:core/v1:Service").inputs.spec;
      assert.equal(svc.type, "ClusterIP");
      assert.deepEqual(svc.ports, [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "grpc", port: 8081, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
      ]);
    });

    it("turns the gRPC door on at the container port named grpc; every probe stays on HTTP", async () => {
      const c = app(await runStack(stack), DEPLOYMENT).inputs.spec.template.spec.containers[0];
      const grpcPort = c.ports.find((p: any) => p.name === "grpc");
      assert.deepEqual(grpcPort, { name: "grpc", containerPort: 8081, protocol: "TCP" });
      // The app's own default is off: the Deployment must say where.
      assert.equal(c.env.find((e: any) => e.name === "GRPC_PORT")?.value, String(grpcPort.containerPort));
      assert.equal(c.env.find((e: any) => e.name === "PORT")?.value, "8080");
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) assert.equal(probe.httpGet.port, "http");
    });
  });
}

describe("onnxruntime threads", () => {
  const threadsIn = (run: ProgramRun) =>
    Number(app(run, DEPLOYMENT).inputs.spec.template.spec.containers[0].env.find((e: any) => e.name === "ORT_INTRA_OP_THREADS").value);
  const devWith = (app: Record<string, unknown>) =>
    runStack({ stack: "dev", config: { ...readStackConfig(stackFile("dev")).config, "inference-platform:app": { ...stackValue("dev", "app"), ...app } } });

  it("default to one per whole CPU the pod requests, never onnxruntime's count of the node's cores", async () => {
    const expected = { local: 1, dev: 2, staging: 3, prod: 3 }; // requests: 500m, 2, 3, 3
    for (const stack of STACKS) assert.equal(threadsIn(await runStack(stack)), expected[stack], stack);
    assert.equal(threadsIn(await devWith({ cpu: "1500m" })), 1);
  });

  it("on a CPU pod: one server process per whole CPU requested, one thread each; on a GPU pod one process", async () => {
    const envOf = (run: ProgramRun) => app(run, DEPLOYMENT).inputs.spec.template.spec.containers[0].env as { name: string; value: string }[];
    const value = (run: ProgramRun, name: string) => envOf(run).find((e) => e.name === name)!.value;
    const local = await runStack("local"); // CPU only, 500m
    assert.deepEqual([value(local, "WORKERS"), value(local, "ORT_INTRA_OP_THREADS")], ["1", "1"]);
    const cpuPod = await runStack({ stack: "local", config: { ...readStackConfig(stackFile("local")).config, "inference-platform:app": { ...stackValue("local", "app"), cpu: "4" } } });
    assert.deepEqual([value(cpuPod, "WORKERS"), value(cpuPod, "ORT_INTRA_OP_THREADS")], ["4", "1"]);
    const dev = await runStack("dev"); // GPU, 2 CPUs
    assert.deepEqual([value(dev, "WORKERS"), value(dev, "ORT_INTRA_OP_THREADS")], ["1", "2"]);
  });

  it("follow app.ortIntraOpThreads when the stack sets it", async () => {
    assert.equal(threadsIn(await devWith({ ortIntraOpThreads: 6 })), 6);
  });
});

describe("image users", () => {
  it("match the USER each Dockerfile declares", () => {
    for (const [variant, file] of Object.entries(DOCKERFILES) as [keyof typeof IMAGE_USER, string][]) {
      const users = [...readFileSync(path.join(REPO_ROOT, file), "utf8").matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
      const last = users.at(-1);
      assert.ok(last, `${file} sets a USER`);
      const uid = last === "node" ? 1000 : Number(last.split(":")[0]);
      assert.equal(uid, IMAGE_USER[variant], `${file}: USER ${last}`);
    }
  });
});

describe("CPU architecture", () => {
  const archOf = (run: ProgramRun) => app(run, DEPLOYMENT).inputs.spec.template.spec.nodeSelector["kubernetes.io/arch"];

  it("selects nodes of the architecture the image is built for: the host's in the local stack, amd64 on EKS", async () => {
    const [local, dev] = [await runStack("local"), await runStack("dev")];
    assert.equal(`linux/${archOf(local)}`, hostPlatform(process.arch));
    assert.deepEqual(ofType(local, "docker-build:index:Image")[0]?.inputs.platforms, [hostPlatform(process.arch)]);
    assert.equal(archOf(dev), "amd64");
  });

  it("follows image.platform when the stack sets it", async () => {
    const arm = await runStack(stackWith("local", { image: { platform: "linux/arm64" } }));
    assert.equal(archOf(arm), "arm64");
    assert.deepEqual(ofType(arm, "docker-build:index:Image")[0]?.inputs.platforms, ["linux/arm64"]);
  });
});
