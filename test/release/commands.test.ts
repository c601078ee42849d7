import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { parseCommand, UsageError } from "../../scripts/lib/cli-args.js";
import { PROMOTE, promoteArgs, releaseFailure, ROLLBACK, rollbackArgs } from "../../scripts/release/cli.js";
import { ReleaseError, UpdateFailedError } from "../../infra/delivery/release-history.js";
import { releaseMetadata, stackReleaseFromOutputs } from "../../infra/delivery/release-history.js";
import { IMAGE_CONFIG_KEY, pinImageInStackFile, stackFileName } from "../../scripts/release/stack-file.js";
import { automationErrorSummary } from "../../scripts/release/stacks.js";

const d = `sha256:${"ab".repeat(32)}`;
const ref = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/inference-platform-dev@${d}`;

const parsed = (spec: typeof PROMOTE, argv: string[]) => {
  const p = parseCommand(spec, argv);
  if (p === "help") throw new Error("unexpected --help");
  return p;
};
const parsePromoteArgs = (argv: string[]) => promoteArgs(parsed(PROMOTE, argv));
const parseRollbackArgs = (argv: string[]) => rollbackArgs(parsed(ROLLBACK, argv));

describe("promote and rollback command lines", () => {
  it("takes a stack, an optional release and --force for rollback", () => {
    assert.deepEqual(parseRollbackArgs(["prod"]), { stack: "prod", force: false });
    assert.deepEqual(parseRollbackArgs(["acme/prod", "1a2b3c4"]), { stack: "acme/prod", release: "1a2b3c4", force: false });
    assert.deepEqual(parseRollbackArgs(["prod", "1a2b3c4", "--force"]), { stack: "prod", release: "1a2b3c4", force: true });
    assert.throws(() => parseRollbackArgs([]), /expected 1 to 2 arguments, got 0/);
    assert.throws(() => parseRollbackArgs(["prod", "a", "b"]), /unexpected argument "b"/);
    assert.throws(() => parseRollbackArgs(["pr od"]), (e: unknown) => e instanceof UsageError && /unknown target stack "pr od"; known stacks: dev, local, prod, staging/.test(e.message));
  });

  it("takes source and target for promote, an expected digest, --force and a plan to save or apply", () => {
    assert.deepEqual(parsePromoteArgs(["dev", "staging"]), { from: "dev", to: "staging", force: false });
    assert.deepEqual(parsePromoteArgs(["dev", "staging", "--expect-digest", d, "--force"]), { from: "dev", to: "staging", expectDigest: d, force: true });
    assert.deepEqual(parsePromoteArgs(["staging", "prod", "--save-plan", "p.json"]), { from: "staging", to: "prod", force: false, savePlan: "p.json" });
    assert.deepEqual(parsePromoteArgs(["staging", "prod", "--plan", "p.json"]), { from: "staging", to: "prod", force: false, plan: "p.json" });
    assert.throws(() => parsePromoteArgs(["dev"]), /expected 2 arguments, got 1/);
    assert.throws(() => parsePromoteArgs(["dev", "staging", "--expect-digest", "latest"]), /--expect-digest must be sha256/);
    assert.throws(() => parsePromoteArgs(["dev", "staging", "--yes"]), /unknown option --yes; options: --expect-digest, --force, --save-plan, --plan, --help/);
  });

  it("exits 3 when `pulumi up` ran and failed, 1 when it refused before touching the stack", () => {
    assert.deepEqual(releaseFailure(new UpdateFailedError("pulumi up of prod failed: x")), { message: "pulumi up of prod failed: x", exitCode: 3 });
    assert.deepEqual(releaseFailure(new ReleaseError("refusing to promote")), { message: "refusing to promote", exitCode: 1 });
    assert.equal(releaseFailure(new TypeError("bug")), undefined, "anything else is a crash, not a message");
  });
});

describe("stack outputs and release metadata", () => {
  it("reads imageDigest, endpointUrl, grpcEndpoint and releases from stack outputs", () => {
    const state = stackReleaseFromOutputs("dev", {
      imageDigest: { value: d },
      endpointUrl: { value: "https://dev.example.com" },
      grpcEndpoint: { value: "dev.example.com:8081" },
      releases: { value: [{ digest: d, imageRef: ref, gitSha: "abc1234", time: "2026-11-26T00:00:00Z" }] },
    });
    assert.equal(state.imageDigest, d);
    assert.equal(state.grpcEndpoint, "dev.example.com:8081");
    assert.equal(state.releases.length, 1);
    assert.deepEqual(stackReleaseFromOutputs("new", {}), { stack: "new", imageDigest: undefined, endpointUrl: undefined, releases: [] });
    assert.throws(() => stackReleaseFromOutputs("dev", { imageDigest: { value: "latest" } }), /output "imageDigest" is "latest"/);
  });

  it("takes the release's commit from RELEASE_GIT_SHA, then GITHUB_SHA", () => {
    assert.deepEqual(releaseMetadata({ RELEASE_GIT_SHA: "aaa", GITHUB_SHA: "bbb" }), { gitSha: "aaa" });
    assert.deepEqual(releaseMetadata({ GITHUB_SHA: "bbb" }), { gitSha: "bbb" });
    assert.deepEqual(releaseMetadata({}), { gitSha: "unknown" });
    assert.deepEqual(releaseMetadata({ RELEASE_ROLLBACK_OF: d }), { gitSha: "unknown", rollbackOf: d });
    assert.throws(() => releaseMetadata({ RELEASE_ROLLBACK_OF: "oops" }), /RELEASE_ROLLBACK_OF must be sha256/);
  });
});

describe("stack file with a pinned image", () => {
  const file = [
    "# staging: promoted from dev",
    "secretsprovider: passphrase",
    "encryptionsalt: v1:abc",
    "config:",
    "  aws:region: eu-west-1",
    `  ${IMAGE_CONFIG_KEY}:`,
    "    promoteFrom: organization/inference-platform/dev",
    "  inference-platform:secretThing:",
    "    secure: v1:xyz",
    "",
  ].join("\n");

  it("pins the image by digest and keeps every other key, secret and comment", () => {
    const out = pinImageInStackFile(file, ref, "stacks/Pulumi.staging.yaml");
    const doc = parse(out) as { encryptionsalt: string; config: Record<string, unknown> };
    assert.deepEqual(doc.config[IMAGE_CONFIG_KEY], { promoteFrom: "organization/inference-platform/dev", ref });
    assert.equal(doc.encryptionsalt, "v1:abc");
    assert.deepEqual(doc.config["inference-platform:secretThing"], { secure: "v1:xyz" });
    assert.match(out, /^# staging: promoted from dev/);
  });

  it("keeps build: true on a stack that builds: ref alone stops the rebuild, the registry stays", () => {
    const out = parse(pinImageInStackFile(`config:\n  ${IMAGE_CONFIG_KEY}:\n    build: true\n`, ref, "f")) as { config: Record<string, unknown> };
    assert.deepEqual(out.config[IMAGE_CONFIG_KEY], { build: true, ref });
    assert.deepEqual((parse(pinImageInStackFile("", ref, "f")) as { config: Record<string, unknown> }).config[IMAGE_CONFIG_KEY], { ref });
  });

  it("refuses an unpinned reference and a malformed stack file", () => {
    assert.throws(() => pinImageInStackFile(file, "repo/inference:latest", "f"), /not pinned by digest/);
    assert.throws(() => pinImageInStackFile("config: [", ref, "stacks/Pulumi.x.yaml"), /stacks\/Pulumi.x.yaml is not valid YAML/);
    assert.throws(() => pinImageInStackFile(`config:\n  ${IMAGE_CONFIG_KEY}: 3\n`, ref, "f"), /must be an object/);
  });

  it("names stack files by the short stack name", () => {
    assert.equal(stackFileName("acme/inference-platform/prod"), "Pulumi.prod.yaml");
    assert.equal(stackFileName("prod"), "Pulumi.prod.yaml");
  });
});

describe("promote and rollback without a Pulumi CLI", () => {
  it("summarises Automation API errors in one line", () => {
    assert.match(automationErrorSummary("code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n"), /Pulumi CLI is not on PATH/);
    assert.equal(automationErrorSummary("code: 255\n stdout: \n stderr: error: no stack named 'prod' found\n err?: Error: x\n"), "error: no stack named 'prod' found");
    const wrapped = "code: 255\n stdout: \n stderr: Command failed with exit code 255: pulumi stack select --stack qa\nerror: no stack named 'qa' found\n err?: Error: x\n";
    assert.equal(automationErrorSummary(wrapped), "error: no stack named 'qa' found");
  });

  it("exits 1 with a clear message instead of a stack trace", () => {
    // A PATH holding only node: the commands cannot find `pulumi` and must say so.
    const bin = mkdtempSync(path.join(tmpdir(), "no-pulumi-"));
    writeFileSync(path.join(bin, "README"), "intentionally without pulumi");
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${bin}` };
    for (const [script, args] of [["scripts/release/rollback.ts", ["prod"]], ["scripts/release/promote.ts", ["dev", "staging"]]] as const) {
      const res = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", env, timeout: 60_000 });
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, /^error: cannot open stack (prod|dev|staging): the Pulumi CLI is not on PATH/m);
      assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("exits 2 with one line on a bad command line", () => {
    const res = spawnSync(process.execPath, ["--import", "tsx", "scripts/release/rollback.ts"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(res.status, 2);
    assert.equal(res.stderr, "npm run rollback: expected 1 to 2 arguments, got 0 (npm run rollback -- --help shows the usage)\n");
  });
});
