// The thin Automation API layer under `npm run promote|rollback|recover|drift`: read a stack's
// outputs, preview or run `pulumi up` on it with one image pinned, recover it after an interrupted
// update. All decisions are in history.ts, recovery.ts and stack-file.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { type Release, ReleaseError, stackReleaseFromOutputs, type StackRelease, UpdateFailedError } from "../../infra/delivery/release-history.js";
import { pendingOperations, type PendingOperation } from "./recovery.js";
import { buildsImage, pinImageInStackFile, stackFileName } from "./stack-file.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const STACK_DIR = path.join(REPO_ROOT, "stacks");
const POLICY_PACK = path.join(REPO_ROOT, "policy");

/**
 * The telling line of an Automation API CommandError ("code: -2\n stdout: ...\n stderr: ..."):
 * the CLI's error line, with a hint when the Pulumi CLI itself is missing.
 */
export function automationErrorSummary(message: string): string {
  if (/ENOENT: pulumi|spawn pulumi ENOENT/.test(message)) return "the Pulumi CLI is not on PATH (install it: https://www.pulumi.com/docs/install/)";
  const stderr = /stderr: ([^\n]*(?:\n(?! err\?:)[^\n]*)*)/.exec(message)?.[1] ?? message;
  // The CLI's own "error: ..." line says more than the wrapper's "Command failed with exit code N".
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.find((l) => l.startsWith("error:")) ?? lines.find((l) => !l.startsWith("Command failed with")) ?? lines[0] ?? "unknown error";
}

async function select(stack: string, envVars: Record<string, string> = {}) {
  try {
    return await LocalWorkspace.selectStack({ stackName: stack, workDir: REPO_ROOT }, { envVars });
  } catch (err) {
    // Usually: no Pulumi CLI on PATH, not logged in to the backend, or no such stack.
    throw new ReleaseError(`cannot open stack ${stack}: ${automationErrorSummary((err as Error).message)}`);
  }
}

export async function readStackRelease(stack: string): Promise<StackRelease> {
  return stackReleaseFromOutputs(stack, await (await select(stack)).outputs());
}

function stackFile(stack: string): string {
  const file = path.join(STACK_DIR, stackFileName(stack));
  if (!existsSync(file)) throw new ReleaseError(`no stack file ${path.relative(REPO_ROOT, file)} for stack ${stack}`);
  return file;
}

/** Runs `use` with a temporary copy of the stack file whose image.ref pins `imageRef` (none: the file as checked in). */
async function withStackFile<T>(stack: string, imageRef: string | undefined, use: (configFile: string) => Promise<T>): Promise<T> {
  const file = stackFile(stack);
  const dir = mkdtempSync(path.join(tmpdir(), "release-"));
  try {
    const configFile = path.join(dir, stackFileName(stack));
    const text = readFileSync(file, "utf8");
    writeFileSync(configFile, imageRef === undefined ? text : pinImageInStackFile(text, imageRef, file));
    return await use(configFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The policy pack and, when it exists, the stack's policy config: what every preview and update runs. */
function policyOptions(stack: string): { policyPacks: string[]; policyPackConfigs?: string[] } {
  const config = path.join(POLICY_PACK, "config", `${stack.split("/").at(-1)}.json`);
  return { policyPacks: [POLICY_PACK], ...(existsSync(config) ? { policyPackConfigs: [config] } : {}) };
}

export interface DeployRequest {
  stack: string;
  release: Release;
  /** Why, for the update's message in the stack history. */
  message: string;
  /** Set on a rollback: the digest being replaced. */
  rollbackOf?: string;
  /** Apply exactly this saved update plan (`pulumi up --plan`), failing if it no longer holds. */
  plan?: string;
}

function releaseEnv(req: { release: Release; rollbackOf?: string }, plans: boolean): Record<string, string> {
  const env: Record<string, string> = { RELEASE_GIT_SHA: req.release.gitSha };
  if (req.rollbackOf) env.RELEASE_ROLLBACK_OF = req.rollbackOf;
  // Update plans are experimental in the Pulumi CLI (https://www.pulumi.com/docs/iac/operations/stack-management/update-plans/).
  if (plans) env.PULUMI_EXPERIMENTAL = "true";
  return env;
}

/**
 * `pulumi up` of `stack` deploying `release.imageRef`, with the policy pack enforced; returns the
 * new outputs. A failure of the update itself is an UpdateFailedError; one in its preview phase
 * (a policy violation, a program error) changed nothing and is a plain ReleaseError.
 */
export async function deployRelease(req: DeployRequest): Promise<StackRelease> {
  return withStackFile(req.stack, req.release.imageRef, async (configFile) => {
    const stack = await select(req.stack, releaseEnv(req, req.plan !== undefined));
    const result = await stack
      .up({
        configFile,
        message: req.message,
        ...policyOptions(req.stack),
        ...(req.plan ? { plan: path.resolve(req.plan) } : {}),
        onOutput: (out) => process.stdout.write(out),
      })
      .catch((err: Error) => {
        const summary = automationErrorSummary(err.message);
        if (/preview failed/.test(err.message)) throw new ReleaseError(`pulumi up of ${req.stack} refused in its preview, nothing changed: ${summary}`);
        throw new UpdateFailedError(`pulumi up of ${req.stack} failed: ${summary}`);
      });
    return stackReleaseFromOutputs(req.stack, result.outputs);
  });
}

/** `pulumi preview` of deploying `release` to `stack`, saving the update plan to `savePlan`; prints the diff. */
export async function previewRelease(req: { stack: string; release: Release; savePlan: string }): Promise<void> {
  await withStackFile(req.stack, req.release.imageRef, async (configFile) => {
    const stack = await select(req.stack, releaseEnv(req, true));
    await stack
      .preview({ configFile, diff: true, plan: path.resolve(req.savePlan), ...policyOptions(req.stack), onOutput: (out) => process.stdout.write(out) })
      .catch((err: Error) => {
        throw new ReleaseError(`pulumi preview of ${req.stack} failed: ${automationErrorSummary(err.message)}`);
      });
  });
}

/**
 * Drift check: `pulumi preview --refresh --expect-no-changes --diff` against the image the stack
 * runs (a stack that builds its image previews its build, which yields the same digest when the
 * source is unchanged). Any difference fails, with the diff printed.
 */
export async function checkDrift(stackName: string): Promise<void> {
  const file = stackFile(stackName);
  const pinned = buildsImage(readFileSync(file, "utf8"), file) ? undefined : (await readStackRelease(stackName)).releases.at(-1)?.imageRef;
  await withStackFile(stackName, pinned, async (configFile) => {
    const stack = await select(stackName);
    await stack
      .preview({ configFile, refresh: true, expectNoChanges: true, diff: true, ...policyOptions(stackName), onOutput: (out) => process.stdout.write(out) })
      .catch((err: Error) => {
        throw new ReleaseError(`${stackName} has drifted from its program and state (or the preview failed): ${automationErrorSummary(err.message)}`);
      });
  });
}

/**
 * Recovery after a cancelled or timed-out update: `pulumi cancel` (releases the update lock; on
 * Pulumi Cloud and, since pulumi/pulumi#9100, DIY backends), then a refresh that also drops pending
 * creates from the state (`--clear-pending-creates`; pending updates and deletes are resolved by
 * any refresh: https://www.pulumi.com/docs/iac/operations/troubleshooting/interrupted-updates/).
 * Returns the operations that were pending, so their resources can be checked in the cloud.
 */
export async function recoverStack(stackName: string): Promise<PendingOperation[]> {
  const stack = await select(stackName);
  // Nothing to cancel is the usual case after a job that was killed between updates, and the
  // CLI words that differently per backend: say it and go on; a lock that really remains makes
  // the refresh below fail with "the stack is currently locked".
  await stack.cancel().then(
    () => console.log(`cancelled the update in progress on ${stackName}`),
    (err: Error) => console.log(`pulumi cancel: ${automationErrorSummary(err.message)} (nothing to cancel, or see the refresh below)`),
  );
  const pending = pendingOperations(await stack.exportStack());
  await withStackFile(stackName, undefined, async (configFile) => {
    await stack.refresh({ configFile, clearPendingCreates: true, onOutput: (out) => process.stdout.write(out) }).catch((err: Error) => {
      throw new ReleaseError(`pulumi refresh of ${stackName} failed: ${automationErrorSummary(err.message)}`);
    });
  });
  return pending;
}
