// `npm run promote` and `npm run rollback` end to end: the real scripts and Automation API, a
// real inference server as the source stack's endpoint, a loopback OCI registry, and a stand-in
// Pulumi CLI (fake-pulumi.mjs) that serves stack outputs and records the `pulumi up` it is asked for.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { loadConfig } from "../../app/src/config.js";
import { startApp, type RunningApp } from "../../app/src/app.js";
import type { Release } from "../../infra/delivery/release-history.js";

/** One call of the stand-in CLI, as fake-pulumi.mjs logs it. */
interface FakeInvocation {
  args: string[];
  configFile?: string;
  env: Record<string, string>;
}

const ROOT = path.resolve(import.meta.dirname, "../..");
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const fileHash = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

let work = "";
let registry: Server;
let registryHost = "";
let app: RunningApp;
/** Digests the loopback registry holds. */
const held = new Set<string>();

const ref = (c: string) => `${registryHost}/inference-platform-dev@${digest(c)}`;
const release = (c: string, gitSha: string, over: Partial<Release> = {}): Release => ({ digest: digest(c), imageRef: ref(c), gitSha, time: "2026-11-25T12:00:00.000Z", ...over });

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "release-e2e-"));
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(import.meta.dirname, "fake-pulumi.mjs")}" "$@"\n`);
  chmodSync(path.join(bin, "pulumi"), 0o755);
  registry = createServer((req, res) => {
    const d = /\/manifests\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "")?.[1];
    res.writeHead(req.method === "HEAD" && d && held.has(d) ? 200 : 404).end();
  });
  registry.listen(0, "127.0.0.1");
  await once(registry, "listening");
  registryHost = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  app = await startApp(loadConfig({ PORT: "0", GRPC_PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" }));
  await app.loaded;
});

after(async () => {
  registry?.close();
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: FakeInvocation[];
}

async function run(script: string, args: string[], state: Record<string, Record<string, unknown>>, env: Record<string, string> = {}): Promise<Run> {
  const statePath = path.join(work, "state.json");
  const logPath = path.join(work, `log-${Date.now()}-${Math.random()}.jsonl`);
  writeFileSync(statePath, JSON.stringify(state));
  writeFileSync(logPath, "");
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, FAKE_PULUMI_STATE: statePath, FAKE_PULUMI_LOG: logPath, PULUMI_SKIP_UPDATE_CHECK: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, "exit")) as [number];
  const calls = readFileSync(logPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as FakeInvocation);
  return { code, stdout, stderr, calls };
}

const ups = (r: Run) => r.calls.filter((c) => c.args[0] === "up");
const flag = (c: FakeInvocation, name: string) => c.args[c.args.indexOf(name) + 1];
const pinnedRef = (c: FakeInvocation) => (parse(c.configFile ?? "") as { config: Record<string, { ref?: string }> }).config["inference-platform:image"]?.ref;

function stacks(over: { devEndpoint?: string; devGrpc?: string } = {}) {
  return {
    dev: { imageDigest: digest("b"), imageRef: ref("b"), endpointUrl: over.devEndpoint ?? app.url, grpcEndpoint: over.devGrpc ?? app.grpcAddress, releases: [release("a", "aaaaaaa1"), release("b", "bbbbbbb2")] },
    staging: { imageDigest: digest("a"), imageRef: ref("a"), endpointUrl: "https://staging.invalid", releases: [release("a", "aaaaaaa1")] },
    prod: { imageDigest: digest("b"), imageRef: ref("b"), endpointUrl: "https://prod.invalid", releases: [release("a", "aaaaaaa1"), release("b", "bbbbbbb2")] },
  };
}

describe("npm run promote", () => {
  it("smoke-tests the source, finds the digest in the registry and runs pulumi up on the target with it pinned", async () => {
    held.add(digest("b"));
    const stagingFile = path.join(ROOT, "stacks", "Pulumi.staging.yaml");
    const before = fileHash(stagingFile);
    const r = await run("scripts/release/promote.ts", ["dev", "staging", "--expect-digest", digest("b")], stacks());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /ok {3}dev infer/);
    assert.match(r.stdout, /ok {3}dev grpc ServerReady/, "both front doors of the source are checked");
    const [up, ...more] = ups(r);
    assert.equal(more.length, 0);
    assert.ok(up);
    assert.equal(flag(up, "--stack"), "staging");
    assert.equal(pinnedRef(up), ref("b"));
    assert.equal(up.env.RELEASE_GIT_SHA, "bbbbbbb2", "the release keeps the commit it was built from");
    assert.equal(up.env.RELEASE_ROLLBACK_OF, undefined);
    assert.equal(flag(up, "--policy-pack"), path.join(ROOT, "policy"));
    assert.equal(flag(up, "--policy-pack-config"), path.join(ROOT, "policy", "config", "staging.json"));
    assert.equal(fileHash(stagingFile), before, "the checked-in stack file is left alone");
  });

  it("refuses a digest the registry does not hold, before any update", async () => {
    held.clear();
    const r = await run("scripts/release/promote.ts", ["dev", "staging"], stacks());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: refusing to promote .*registry has no manifest for that digest/m);
    assert.deepEqual(ups(r), []);
  });

  it("refuses a digest whose source fails its smoke test", async () => {
    held.add(digest("b"));
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    const r = await run("scripts/release/promote.ts", ["dev", "staging"], stacks({ devEndpoint: url }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: refusing to promote unverified digest sha256:b+: the smoke test of dev failed/m);
    assert.deepEqual(ups(r), []);
  });

  it("refuses a digest whose source's gRPC door is closed", async () => {
    held.add(digest("b"));
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const grpc = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    const r = await run("scripts/release/promote.ts", ["dev", "staging"], stacks({ devGrpc: grpc }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`FAIL dev grpc ServerReady: ${grpc}: UNAVAILABLE`));
    assert.match(r.stderr, /^error: refusing to promote unverified digest sha256:b+: the smoke test of dev failed/m);
    assert.deepEqual(ups(r), []);
  });

  it("names a stack the backend does not have", async () => {
    const { staging: _missing, ...rest } = stacks();
    const r = await run("scripts/release/promote.ts", ["dev", "staging"], rest);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot open stack staging: error: no stack named 'staging' found/m);
  });

  it("applies the program to a target that already runs the digest (an infra-only push)", async () => {
    held.add(digest("b"));
    const r = await run("scripts/release/promote.ts", ["staging", "prod"], { ...stacks(), staging: { ...stacks().prod, endpointUrl: app.url } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /prod already runs sha256:b+: applying this commit's program to it/);
    const [up] = ups(r);
    assert.equal(pinnedRef(up!), ref("b"));
  });

  it("refuses a digest the target rolled back, and deploys it with --force", async () => {
    held.add(digest("b"));
    const rolledBack = { ...stacks().staging, releases: [release("a", "aaaaaaa1"), release("b", "bbbbbbb2"), release("a", "aaaaaaa1", { rollbackOf: digest("b") })] };
    const refused = await run("scripts/release/promote.ts", ["dev", "staging"], { ...stacks(), staging: rolledBack });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: refusing to promote sha256:b+ to staging: staging rolled it back on .* pass --force/m);
    assert.deepEqual(ups(refused), []);
    const forced = await run("scripts/release/promote.ts", ["dev", "staging", "--force"], { ...stacks(), staging: rolledBack });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(pinnedRef(ups(forced)[0]!), ref("b"));
  });

  it("previews and saves an update plan without updating, then applies exactly that plan", async () => {
    held.add(digest("b"));
    const plan = path.join(work, "prod-plan.json");
    const saved = await run("scripts/release/promote.ts", ["staging", "prod", "--save-plan", plan], { ...stacks(), staging: { ...stacks().dev } });
    assert.equal(saved.code, 0, saved.stderr + saved.stdout);
    assert.deepEqual(ups(saved), [], "a saved plan changes nothing");
    const preview = saved.calls.find((c) => c.args[0] === "preview")!;
    assert.equal(flag(preview, "--save-plan"), plan);
    assert.ok(preview.args.includes("--diff"), "the approver sees a diff");
    assert.equal(pinnedRef(preview), ref("b"));
    assert.equal(preview.env.PULUMI_EXPERIMENTAL, "true", "update plans are experimental in the CLI");
    assert.match(readFileSync(plan, "utf8"), /update plan/);
    const applied = await run("scripts/release/promote.ts", ["staging", "prod", "--plan", plan], { ...stacks(), staging: { ...stacks().dev } });
    assert.equal(applied.code, 0, applied.stderr);
    const [up] = ups(applied);
    assert.equal(flag(up!, "--plan"), plan);
    assert.equal(pinnedRef(up!), ref("b"), "the same pinned config as the preview");
  });

  it("exits 3 when pulumi up itself fails, 1 when the update was refused in its preview", async () => {
    held.add(digest("b"));
    const failed = await run("scripts/release/promote.ts", ["dev", "staging"], stacks(), { FAKE_PULUMI_FAIL: "up" });
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /^error: pulumi up of staging failed: error: update failed/m);
    const refused = await run("scripts/release/promote.ts", ["dev", "staging"], stacks(), { FAKE_PULUMI_FAIL: "preview-phase" });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^error: pulumi up of staging refused in its preview, nothing changed/m);
  });
});

describe("npm run rollback", () => {
  it("redeploys the previous release's digest and marks what it replaced", async () => {
    held.add(digest("a"));
    const r = await run("scripts/release/rollback.ts", ["prod"], stacks());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [up] = ups(r);
    assert.ok(up);
    assert.equal(flag(up, "--stack"), "prod");
    assert.equal(pinnedRef(up), ref("a"));
    assert.deepEqual(up.env, { RELEASE_GIT_SHA: "aaaaaaa1", RELEASE_ROLLBACK_OF: digest("b") });
    assert.equal(flag(up, "--policy-pack-config"), path.join(ROOT, "policy", "config", "prod.json"));
  });

  it("with --force redeploys the release the outputs name (after a failed update), recording no rollback", async () => {
    held.add(digest("b"));
    const r = await run("scripts/release/rollback.ts", ["prod", digest("b"), "--force"], stacks());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [up] = ups(r);
    assert.equal(pinnedRef(up!), ref("b"));
    assert.deepEqual(up!.env, { RELEASE_GIT_SHA: "bbbbbbb2" });
  });

  it("goes to a named release, and refuses one the registry has lost", async () => {
    held.clear();
    const r = await run("scripts/release/rollback.ts", ["prod", "aaaaaaa1"], stacks());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot roll back to .*@sha256:a+: the registry no longer holds that digest/m);
    assert.deepEqual(ups(r), []);
  });
});

describe("npm run recover", () => {
  it("cancels, refreshes clearing pending creates, and names what was pending", async () => {
    const pending = [{ resource: { urn: "urn:pulumi:prod::inference-platform::aws:elasticache/replicationGroup:ReplicationGroup::cache", type: "aws:elasticache/replicationGroup:ReplicationGroup" }, type: "creating" }];
    const r = await run("scripts/release/recover.ts", ["prod"], stacks(), { FAKE_PULUMI_PENDING: JSON.stringify(pending) });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const commands = r.calls.map((c) => c.args[0]);
    assert.ok(commands.indexOf("cancel") < commands.indexOf("refresh"));
    const refresh = r.calls.find((c) => c.args[0] === "refresh")!;
    assert.ok(refresh.args.includes("--clear-pending-creates"));
    assert.match(r.stdout, /ReplicationGroup::cache: was being created; its entry is gone from the state\. If it exists in the cloud, import it/);
    assert.match(r.stdout, /prod is ready for the next update/);
  });
});

describe("npm run drift", () => {
  it("previews with a refresh expecting no changes, pinned to the image the stack runs", async () => {
    const r = await run("scripts/release/drift.ts", ["prod"], stacks());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const preview = r.calls.find((c) => c.args[0] === "preview")!;
    for (const f of ["--refresh", "--expect-no-changes", "--diff"]) assert.ok(preview.args.includes(f), f);
    assert.equal(pinnedRef(preview), ref("b"), "prod is compared with what it runs, not with dev's newer image");
    assert.match(r.stdout, /no drift: prod matches its program and state/);
  });

  it("fails with the diff when the stack drifted", async () => {
    const r = await run("scripts/release/drift.ts", ["prod"], stacks(), { FAKE_PULUMI_DRIFT: "1" });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /~ kubernetes:apps\/v1:Deployment inference update/);
    assert.match(r.stderr, /^error: prod has drifted from its program and state/m);
  });

  it("previews a building stack's own build (no pin)", async () => {
    const r = await run("scripts/release/drift.ts", ["dev"], stacks());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(pinnedRef(r.calls.find((c) => c.args[0] === "preview")!), undefined);
  });
});
