// The policy pack as the Pulumi engine runs it: `policy/index.ts` started as its own process
// (runtime options of PulumiPolicy.yaml: node --import tsx, cwd policy/), serving the analyzer
// gRPC protocol; the test talks to it as the engine would.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { policies } from "../../policy/policies.js";

const require = createRequire(import.meta.url);
// The generated protobuf stubs are CommonJS without types: typed as any here.
const grpc = require("@grpc/grpc-js") as any;
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js") as any;
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb.js") as any;
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js") as any;
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js") as any;

const POLICY_DIR = path.resolve(import.meta.dirname, "../../policy");

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

/** One Analyze call, as the engine makes it for each resource it registers. */
function analyzeRequest(type: string, props: Record<string, unknown>, protect = false): unknown {
  const request = new analyzerProto.AnalyzeRequest();
  request.setType(type);
  request.setName("r");
  request.setUrn(`urn:pulumi:prod::inference-platform::${type}::r`);
  request.setProperties(Struct.fromJavaScript(props));
  const options = new analyzerProto.AnalyzerResourceOptions();
  options.setProtect(protect);
  request.setOptions(options);
  return request;
}

describe("policy pack served to the engine", () => {
  let child: ChildProcess;
  let client: any;
  let stderr = "";

  before(async () => {
    const project = parse(readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } }; main: string };
    child = spawn(process.execPath, [...project.runtime.options.nodeargs.split(" "), project.main], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const line = out.split("\n")[0]!;
        if (out.includes("\n")) resolve(line.trim());
      });
      child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`policy pack printed no port in 30 s: ${stderr}`)), 30_000).unref();
    });
    assert.match(port, /^\d+$/, "the pack prints the port it serves on, as the engine expects");
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("describes every policy, all mandatory by default", async () => {
    const info: any = await call(client, "getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "inference-platform");
    const listed = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    assert.deepEqual(
      listed.map((p: [string, number]) => p[0]),
      policies.map((p) => p.name),
    );
    assert.ok(listed.every((p: [string, number]) => p[1] === analyzerProto.EnforcementLevel.MANDATORY));
  });

  async function diagnostics(request: unknown): Promise<string[]> {
    const response: any = await call(client, "analyze", request);
    return response.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage()}`);
  }

  it("reports a privileged root container through Analyze", async () => {
    const props = { spec: { template: { spec: { containers: [{ name: "server", image: "repo/app:latest", securityContext: { privileged: true } }] } } } };
    const found = (await diagnostics(analyzeRequest("kubernetes:apps/v1:Deployment", props))).join("\n");
    assert.match(found, /non-root-unprivileged: .*container "server" is privileged/s);
    assert.match(found, /images-pinned-by-digest: .*"repo\/app:latest" is not pinned by digest/s);
    assert.match(found, /container-resources: .*has no requests.cpu, requests.memory, limits.memory/s);
  });

  it("reads the protect option the engine sends", async () => {
    const type = "aws:elasticache/replicationGroup:ReplicationGroup";
    const props = { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, authToken: "t" };
    assert.deepEqual(await diagnostics(analyzeRequest(type, props, true)), []);
    assert.match((await diagnostics(analyzeRequest(type, props, false))).join("\n"), /stateful-protected: .*must be protected/s);
  });

  it("finds nothing wrong with a compliant container", async () => {
    const image = `111122223333.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"a".repeat(64)}`;
    const container = { name: "server", image, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }, securityContext: { runAsNonRoot: true } };
    assert.deepEqual(await diagnostics(analyzeRequest("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [container] } } } })), []);
  });
});
