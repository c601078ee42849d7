// `npm run plan -- <stack>` prints the resource tree and a cost figure, with no
// credentials and no Pulumi CLI.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { renderTree } from "../../scripts/plan.js";
import { REPO_ROOT, runStack } from "../support/pulumi-program.js";

const run = promisify(execFile);
const plan = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "scripts/plan.ts", ...args], { cwd: REPO_ROOT, env: { ...process.env, AWS_ACCESS_KEY_ID: "", PULUMI_ACCESS_TOKEN: "" } });

describe("npm run plan", () => {
  it("prints prod's resource tree and a monthly cost range", async () => {
    const { stdout } = await plan("prod");
    assert.match(stdout, /^Stack prod: \d+ resources/);
    assert.match(stdout, /^ {2}eks:index:Cluster {2}cluster \[protects aws:eks\/cluster:Cluster\] {2}name=inference-prod/m);
    assert.match(stdout, /kubernetes:karpenter\.sh\/v1:NodePool {2}gpu-l4 {2}families=g6 gpus\/node=1 capacity=on-demand/);
    assert.match(stdout, /Estimated monthly cost, USD \(us-east-1 prices of \d{4}-\d{2}-\d{2}; approximate\)/);
    const total = /^ {2}total +([\d,.]+) +([\d,.]+)/m.exec(stdout);
    assert.ok(total, stdout);
    const [low, high] = [total[1], total[2]].map((n) => Number(String(n).replace(/,/g, "")));
    assert.ok(low !== undefined && high !== undefined && low > 0 && high > low);
  });

  it("explains its usage and refuses unknown stacks", async () => {
    await assert.rejects(plan(), (e: { code: number; stderr: string }) => e.code === 2 && /^npm run plan: expected 1 argument, got 0 \(npm run plan -- --help shows the usage\)\n$/.test(e.stderr));
    await assert.rejects(
      plan("stacks/Pulumi.nope.yaml"),
      (e: { code: number; stderr: string }) => e.code === 2 && /unknown stack "stacks\/Pulumi\.nope\.yaml"; known stacks: local, dev, staging, prod, or a path to an existing Pulumi\.<stack>\.yaml/.test(e.stderr),
    );
  });

  it("stops on a bad stack file with the configuration error, before printing any resource", async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
    t.after(() => rmSync(dir, { recursive: true }));
    const file = path.join(dir, "Pulumi.dev.yaml");
    writeFileSync(file, readFileSync(path.join(REPO_ROOT, "stacks/Pulumi.dev.yaml"), "utf8").replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/33"));
    await assert.rejects(plan(file), (e: { code: number; stdout: string; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /Invalid stack configuration:\n {2}- network\.cidr: not an IPv4 CIDR/);
      assert.equal(e.stdout, "");
      return true;
    });
  });

  it("lists every registered resource once, children under their parents", async () => {
    const stack = await runStack("dev");
    const lines = renderTree(stack);
    assert.equal(lines.length, stack.resources.length);
    const vpc = lines.findIndex((l) => l.startsWith("  awsx:ec2:Vpc"));
    assert.ok(vpc > 0 && lines[vpc - 1]?.startsWith("inference-platform:infra:Network"));
  });
});
