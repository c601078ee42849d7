// `npm run wait-ready` end to end: the real script and Automation API, stand-ins for the Pulumi CLI
// (stack outputs), kubectl and the AWS CLI answering scripted sequences, and a real HTTP server as
// the readiness URL behind the "load balancer". Each run polls every second and is bounded in time.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUN_TIMEOUT_MS = 60_000;

interface CliCall {
  tool: string;
  args: string[];
  key: string;
}

let work = "";
let server: Server;
let endpoint = "";
/** Readiness answers still to give before 200 (each GET /v2/health/ready takes one). */
let notReadyAnswers = 0;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "wait-ready-"));
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  const stub = (name: string, script: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  stub("pulumi", path.join(ROOT, "test/release/fake-pulumi.mjs"));
  // The stand-in tells kubectl from aws by the name it runs as: a copy under each name, not a wrapper.
  for (const tool of ["kubectl", "aws"]) {
    writeFileSync(path.join(bin, tool), `#!/usr/bin/env -S node\n${readFileSync(path.join(import.meta.dirname, "fake-cli.mjs"), "utf8")}`);
    chmodSync(path.join(bin, tool), 0o755);
  }
  server = createServer((req, res) => {
    if (req.url !== "/v2/health/ready") return void res.writeHead(404).end();
    if (notReadyAnswers > 0) {
      notReadyAnswers--;
      return void res.writeHead(503).end("loading");
    }
    res.writeHead(200).end("ready");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: CliCall[];
}

async function waitReady(args: string[], outputs: Record<string, unknown>, script: Record<string, unknown[]>): Promise<Run> {
  const dir = mkdtempSync(path.join(work, "run-"));
  const files = { state: path.join(dir, "state.json"), script: path.join(dir, "script.json"), log: path.join(dir, "calls.jsonl") };
  writeFileSync(files.state, JSON.stringify({ [args[0]!]: outputs }));
  writeFileSync(files.script, JSON.stringify(script));
  writeFileSync(files.log, "");
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/wait-ready.ts", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(work, "bin")}:${path.dirname(process.execPath)}:${process.env.PATH}`,
      FAKE_PULUMI_STATE: files.state,
      FAKE_CLI_SCRIPT: files.script,
      FAKE_CLI_LOG: files.log,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: RUN_TIMEOUT_MS,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, "exit")) as [number];
  const calls = readFileSync(files.log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as CliCall);
  return { code, stdout, stderr, calls };
}

const deployment = (o: { generation?: number; observed?: number; replicas: number; updated?: number; available?: number }) => ({
  metadata: { name: "inference", generation: o.generation ?? 2 },
  spec: { replicas: o.replicas },
  status: { observedGeneration: o.observed ?? o.generation ?? 2, updatedReplicas: o.updated ?? o.replicas, availableReplicas: o.available ?? o.replicas },
});
const health = (...states: string[]) => ({ TargetHealthDescriptions: states.map((State, i) => ({ Target: { Id: `10.0.1.${i + 10}`, Port: 8080 }, TargetHealth: { State } })) });
const LB_HOST = "k8s-inferenc-inferenc-0123456789.elb.us-east-1.amazonaws.com";

/** dev's outputs: an NLB behind a public hostname (the endpoint), KEDA autoscaling, an EKS kubeconfig. */
const devOutputs = () => ({
  namespaceName: "inference",
  deploymentName: "inference",
  scaledObjectName: "inference",
  endpointUrl: endpoint,
  loadBalancerType: "nlb",
  loadBalancerHostname: LB_HOST,
  region: "us-east-1",
  kubeconfig: JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [] }),
});
const nlb = {
  "aws describe-load-balancers": [{ LoadBalancers: [{ DNSName: "unrelated.elb.amazonaws.com", LoadBalancerArn: "arn:lb/other" }, { DNSName: LB_HOST, LoadBalancerArn: "arn:lb/app" }] }],
  "aws describe-target-groups": [{ TargetGroups: [{ TargetGroupArn: "arn:tg/http", TargetGroupName: "k8s-http" }, { TargetGroupArn: "arn:tg/grpc", TargetGroupName: "k8s-grpc" }] }],
};
const kubectlCalls = (r: Run, key: string) => r.calls.filter((c) => c.key === key);

describe("npm run wait-ready", { timeout: 10 * RUN_TIMEOUT_MS }, () => {
  it("waits through the rollout and the targets' initial health checks, then exits 0", async () => {
    notReadyAnswers = 0;
    const r = await waitReady(["dev", "--timeout", "1m", "--interval", "1s"], devOutputs(), {
      ...nlb,
      "kubectl get deployment": [deployment({ generation: 3, observed: 3, replicas: 2, updated: 1, available: 1 }), deployment({ generation: 3, replicas: 2 })],
      "aws describe-target-health arn:tg/http": [health("healthy", "draining"), health("healthy", "initial"), health("healthy", "healthy")],
      "aws describe-target-health arn:tg/grpc": [health("healthy", "draining"), health("healthy", "initial"), health("healthy", "healthy")],
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /target groups k8s-http, k8s-grpc/);
    assert.match(r.stdout, /waiting: rollout: 1\/2 updated, 1\/2 available/);
    assert.match(r.stdout, /waiting: NLB targets \(k8s-http\): 1 healthy of 2 wanted, 1 still in initial health checks/);
    assert.match(r.stdout, /ready: inference rolled out, every NLB target healthy/);
    assert.equal(kubectlCalls(r, "kubectl get deployment").length, 3, "one look per poll until ready");
    const get = kubectlCalls(r, "kubectl get deployment")[0]!;
    assert.deepEqual(get.args.slice(2), ["--namespace", "inference", "get", "deployment", "inference", "--output", "json"]);
    assert.equal(get.args[0], "--kubeconfig", "kubectl reaches the stack's cluster through its kubeconfig output");
    const tg = r.calls.find((c) => c.key === "aws describe-target-groups")!;
    assert.deepEqual(tg.args, ["elbv2", "describe-target-groups", "--load-balancer-arn", "arn:lb/app", "--region", "us-east-1", "--output", "json"], "the NLB is found by its DNS name, not the endpoint's");
    assert.equal(kubectlCalls(r, "kubectl annotate scaledobject").length, 0, "a running stack is not touched");
  });

  it("wakes a stack at zero by pausing its ScaledObject at one replica, once, then waits for it", async () => {
    notReadyAnswers = 1;
    const r = await waitReady(["dev", "--timeout", "1m", "--interval", "1s"], devOutputs(), {
      ...nlb,
      "kubectl get deployment": [deployment({ replicas: 0 }), deployment({ replicas: 0 }), deployment({ generation: 3, replicas: 1, available: 0 }), deployment({ generation: 3, replicas: 1 })],
      "kubectl get scaledobject": [{ metadata: { name: "inference" } }],
      "kubectl annotate scaledobject": [{}],
      "aws describe-target-health arn:tg/http": [health(), health(), health(), health("healthy")],
      "aws describe-target-health arn:tg/grpc": [health(), health(), health(), health("healthy")],
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const wakes = kubectlCalls(r, "kubectl annotate scaledobject");
    assert.equal(wakes.length, 1, "woken once, though the next look still finds zero");
    const [pause, marker, ...rest] = wakes[0]!.args.slice(7);
    assert.deepEqual(wakes[0]!.args.slice(2, 7), ["--namespace", "inference", "annotate", "scaledobject", "inference"]);
    assert.deepEqual([pause, rest], ["autoscaling.keda.sh/paused-replicas=1", ["--overwrite"]]);
    assert.match(marker ?? "", /^inference-platform\/woken-for-smoke-test=\d{4}-\d\d-\d\dT/, "the pause is marked as this wake's");
    assert.match(r.stdout, /scaled to zero \(outside active hours\).*pausing ScaledObject inference at 1/);
    assert.match(r.stdout, /woken from zero; waiting/);
    assert.match(r.stdout, /ready:/);
  });

  it("fails at the deadline with the reason when targets stay in initial health checks", async () => {
    notReadyAnswers = 0;
    const started = Date.now();
    const r = await waitReady(["dev", "--timeout", "2s", "--interval", "1s"], devOutputs(), {
      ...nlb,
      "kubectl get deployment": [deployment({ replicas: 2 })],
      "aws describe-target-health arn:tg/http": [health("healthy", "initial")],
      "aws describe-target-health arn:tg/grpc": [health("healthy", "healthy")],
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /NOT ready: not ready before the deadline: NLB targets \(k8s-http\): 1 healthy of 2 wanted, 1 still in initial health checks/);
    assert.ok(Date.now() - started < RUN_TIMEOUT_MS);
  });

  it("on the local stack (no NLB) waits for the rollout and the readiness URL only, and never calls AWS", async () => {
    notReadyAnswers = 2;
    const { kubeconfig: _k, loadBalancerHostname: _h, ...outputs } = devOutputs();
    const r = await waitReady(["local", "--timeout", "1m", "--interval", "1s"], { ...outputs, loadBalancerType: "nodePort", loadBalancerHostname: "localhost" }, {
      "kubectl get deployment": [deployment({ replicas: 1 })],
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /waiting: the readiness URL does not answer 200 through the load balancer yet \(readiness: answered 503\)/);
    assert.equal(r.calls.filter((c) => c.tool === "aws").length, 0);
    assert.notEqual(r.calls[0]!.args[0], "--kubeconfig", "the local stack uses the current kubectl context");
  });

  it("never wakes a stack a person paused, and fails saying so", async () => {
    const r = await waitReady(["dev", "--timeout", "1m", "--interval", "1s"], devOutputs(), {
      ...nlb,
      "kubectl get deployment": [deployment({ replicas: 0 })],
      "kubectl get scaledobject": [{ metadata: { name: "inference", annotations: { "autoscaling.keda.sh/paused-replicas": "0" } } }],
      "aws describe-target-health arn:tg/http": [health()],
      "aws describe-target-health arn:tg/grpc": [health()],
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^error: ScaledObject inference was paused by hand at 0 replicas \(autoscaling\.keda\.sh\/paused-replicas\): not waking it$/m);
    assert.equal(kubectlCalls(r, "kubectl annotate scaledobject").length, 0);
  });

  it("--resume lifts the pause a wake left, and leaves alone a pause a person set", async () => {
    const annotated = (annotations: Record<string, string>) => ({ metadata: { name: "inference", annotations } });
    const woken = annotated({ "autoscaling.keda.sh/paused-replicas": "1", "inference-platform/woken-for-smoke-test": "2026-12-02T10:00:00.000Z" });
    const r = await waitReady(["dev", "--resume"], devOutputs(), { "kubectl get scaledobject": [woken], "kubectl annotate scaledobject": [{}] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(kubectlCalls(r, "kubectl annotate scaledobject")[0]!.args.slice(2), [
      "--namespace",
      "inference",
      "annotate",
      "scaledobject",
      "inference",
      "autoscaling.keda.sh/paused-replicas-",
      "inference-platform/woken-for-smoke-test-",
    ]);
    for (const answer of [annotated({ "autoscaling.keda.sh/paused-replicas": "0" }), { metadata: { name: "inference" } }]) {
      const none = await waitReady(["dev", "--resume"], devOutputs(), { "kubectl get scaledobject": [answer] });
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stdout, /nothing to resume/);
      assert.equal(kubectlCalls(none, "kubectl annotate scaledobject").length, 0);
    }
  });

  it("exits 1 with one line when the NLB named in the outputs does not exist", async () => {
    const r = await waitReady(["dev", "--timeout", "1m", "--interval", "1s"], devOutputs(), {
      "aws describe-load-balancers": [{ LoadBalancers: [] }],
      "kubectl get deployment": [deployment({ replicas: 1 })],
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: aws elbv2 describe-load-balancers: no load balancer named ${LB_HOST.replace(/\./g, "\\.")}`, "m"));
  });
});
