// The policy pack as the Pulumi engine starts it: `@pulumi/pulumi`'s `cmd/run-policy-pack`, resolved
// from policy/, run by plain `node <run-policy-pack> <engine> <pack dir>` in policy/, with no node
// arguments (the engine ignores PulumiPolicy.yaml's runtime options for policy packs,
// pulumi/pulumi#4830; the Node.js language host's RunPlugin builds exactly this command line,
// pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs). The test speaks the analyzer gRPC protocol
// to it as the engine would: GetAnalyzerInfo, Configure with policy/config/<stack>.json, Analyze
// with each resource's inputs and AnalyzeStack with their outputs.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { policies } from "../../policy/policies.js";
import { runStack, type RecordedResource } from "../support/pulumi-program.js";

const require = createRequire(import.meta.url);
// The generated protobuf stubs are CommonJS without types: typed as any here.
const grpc = require("@grpc/grpc-js") as any;
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js") as any;
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb.js") as any;
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js") as any;
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js") as any;

const POLICY_DIR = path.resolve(import.meta.dirname, "../../policy");
const MANDATORY = analyzerProto.EnforcementLevel.MANDATORY;
const LEVELS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

/** The runner the engine starts, resolved from the pack's folder as the engine resolves it. */
function runPolicyPackEntry(): string {
  return createRequire(path.join(POLICY_DIR, "package.json")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
}

/** Proto structs carry JSON values only: drop undefined the way the engine's serializer does. */
const struct = (value: Record<string, unknown>) => Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));

function options(protect: boolean): unknown {
  const o = new analyzerProto.AnalyzerResourceOptions();
  o.setProtect(protect);
  return o;
}

/** One Analyze call, as the engine makes it for each resource it registers (inputs). */
function analyzeRequest(type: string, name: string, props: Record<string, unknown>, protect = false): unknown {
  const request = new analyzerProto.AnalyzeRequest();
  request.setType(type);
  request.setName(name);
  request.setUrn(`urn:pulumi:prod::inference-platform::${type}::${name}`);
  request.setProperties(struct(props));
  request.setOptions(options(protect));
  return request;
}

/** The AnalyzeStack call the engine makes once the stack's resources are known (outputs). */
function analyzeStackRequest(resources: readonly RecordedResource[]): unknown {
  const request = new analyzerProto.AnalyzeStackRequest();
  request.setResourcesList(
    resources.map((r) => {
      const resource = new analyzerProto.AnalyzerResource();
      resource.setType(r.type);
      resource.setName(r.name);
      resource.setUrn(r.urn);
      resource.setProperties(struct(r.state));
      resource.setOptions(options(r.opts.protect ?? false));
      return resource;
    }),
  );
  return request;
}

/** The Configure call `--policy-pack-config policy/config/<stack>.json` makes. */
function configureRequest(stack: string): unknown {
  const config = JSON.parse(readFileSync(path.join(POLICY_DIR, "config", `${stack}.json`), "utf8")) as Record<string, { enforcementLevel: string }>;
  const request = new analyzerProto.ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  for (const p of policies) {
    const entry = new analyzerProto.PolicyConfig();
    entry.setEnforcementlevel(LEVELS[config[p.name]?.enforcementLevel ?? "mandatory"]);
    entry.setProperties(struct({}));
    map.set(p.name, entry);
  }
  return request;
}

interface Diagnostic {
  policy: string;
  level: number;
  message: string;
}

describe("policy pack started the way the engine starts it", () => {
  let child: ChildProcess;
  let client: any;
  let stderr = "";

  before(async () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // the engine passes none; a test runner's loader must not leak in
    // The engine address is only used for logging back to the engine; nothing listens on port 1.
    child = spawn(process.execPath, [runPolicyPackEntry(), "127.0.0.1:1", POLICY_DIR], { cwd: POLICY_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!.trim());
      });
      child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${out}${stderr}`)));
      // ts-node type-checks the pack before it serves: allow for a slow, shared machine.
      setTimeout(() => reject(new Error(`policy pack printed no port in 120 s: ${out}${stderr}`)), 120_000).unref();
    });
    assert.match(port, /^\d+$/, "the pack prints the port it serves on, as the engine expects");
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("needs no runtime options: PulumiPolicy.yaml declares plain nodejs", () => {
    const project = parse(readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as { runtime: unknown };
    assert.equal(project.runtime, "nodejs", "runtime options (nodeargs, typescript) are not passed to policy packs, so none may be relied on");
  });

  it("describes every policy, all mandatory by default", async () => {
    const info: any = await call(client, "getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "inference-platform");
    const listed = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    assert.deepEqual(
      listed.map((p: [string, number]) => p[0]),
      policies.map((p) => p.name),
    );
    assert.ok(listed.every((p: [string, number]) => p[1] === MANDATORY));
  });

  async function configure(stack: string): Promise<void> {
    await call(client, "configure", configureRequest(stack));
  }

  const diagnosticsOf = (response: any): Diagnostic[] =>
    response.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));

  /** Everything the engine would hear about a stack: Analyze per resource (inputs), then AnalyzeStack (outputs). */
  async function review(resources: readonly RecordedResource[]): Promise<Diagnostic[]> {
    const found: Diagnostic[] = [];
    for (const r of resources.filter((x) => x.custom || x.type.includes(":index:"))) {
      found.push(...diagnosticsOf(await call(client, "analyze", analyzeRequest(r.type, r.name, r.inputs, r.opts.protect ?? false))));
    }
    found.push(...diagnosticsOf(await call(client, "analyzeStack", analyzeStackRequest(resources))));
    return found;
  }

  /** The engine fails a preview or update on any mandatory diagnostic. */
  const refusals = (found: Diagnostic[]) => found.filter((d) => d.level === MANDATORY).map((d) => `${d.policy}: ${d.message}`);

  it("passes the prod stack under prod's policy config", async () => {
    await configure("prod");
    assert.deepEqual(refusals(await review((await runStack("prod")).resources)), []);
  });

  it("refuses a deliberately broken prod stack: privileged app, no PDB, no alerts", async () => {
    await configure("prod");
    const resources = structuredClone((await runStack("prod")).resources).filter(
      (r) => r.type !== "kubernetes:policy/v1:PodDisruptionBudget" && r.type !== "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    );
    const app = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "inference");
    assert.ok(app, "the program registers the app Deployment");
    app.inputs.spec.template.spec.containers[0].securityContext.privileged = true;
    const refused = refusals(await review(resources)).join("\n");
    assert.match(refused, /non-root-unprivileged: .*container "server" is privileged/s);
    assert.match(refused, /deployments-have-pdb: .*Deployment inference has no PodDisruptionBudget/s);
    assert.match(refused, /alerts-present: .*declares no PrometheusRule with an alert/s);
  });

  it("applies the policy config the engine sends: a tag is refused in prod, allowed in dev", async () => {
    const props = { spec: { template: { spec: { containers: [{ name: "server", image: "repo/app:latest", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }, securityContext: { runAsNonRoot: true } }] } } } };
    await configure("prod");
    const prod = diagnosticsOf(await call(client, "analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "app", props)));
    assert.match(refusals(prod).join("\n"), /images-pinned-by-digest: .*"repo\/app:latest" is not pinned by digest/s);
    await configure("dev");
    assert.deepEqual(diagnosticsOf(await call(client, "analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "app", props))), []);
  });

  it("reads the protect option the engine sends", async () => {
    await configure("prod");
    const type = "aws:elasticache/replicationGroup:ReplicationGroup";
    const props = { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, authToken: "t" };
    assert.deepEqual(diagnosticsOf(await call(client, "analyze", analyzeRequest(type, "cache", props, true))), []);
    assert.match(refusals(diagnosticsOf(await call(client, "analyze", analyzeRequest(type, "cache", props, false)))).join("\n"), /stateful-protected: .*must be protected/s);
  });
});
