// The thin Automation API layer under `npm run promote` and `npm run rollback`: read a stack's
// outputs, and run `pulumi up` on it with one image pinned. All decisions are in history.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { type Release, ReleaseError, stackReleaseFromOutputs, type StackRelease } from "../../infra/delivery/release-history.js";
import { pinImageInStackFile, stackFileName } from "./stack-file.js";

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

export interface DeployRequest {
  stack: string;
  release: Release;
  /** Why, for the update's message in the stack history. */
  message: string;
  /** Set on a rollback: the digest being replaced. */
  rollbackOf?: string;
}

/** `pulumi up` of `stack` deploying `release.imageRef`, with the policy pack enforced; returns the new outputs. */
export async function deployRelease(req: DeployRequest): Promise<StackRelease> {
  const file = path.join(STACK_DIR, stackFileName(req.stack));
  if (!existsSync(file)) throw new ReleaseError(`no stack file ${path.relative(REPO_ROOT, file)} for stack ${req.stack}`);
  const dir = mkdtempSync(path.join(tmpdir(), "release-"));
  try {
    const configFile = path.join(dir, stackFileName(req.stack));
    writeFileSync(configFile, pinImageInStackFile(readFileSync(file, "utf8"), req.release.imageRef, file));
    const env: Record<string, string> = { RELEASE_GIT_SHA: req.release.gitSha };
    if (req.rollbackOf) env.RELEASE_ROLLBACK_OF = req.rollbackOf;
    const stack = await select(req.stack, env);
    const policyConfig = path.join(POLICY_PACK, "config", `${req.stack.split("/").at(-1)}.json`);
    const result = await stack
      .up({
        configFile,
        message: req.message,
        policyPacks: [POLICY_PACK],
        ...(existsSync(policyConfig) ? { policyPackConfigs: [policyConfig] } : {}),
        onOutput: (out) => process.stdout.write(out),
      })
      .catch((err: Error) => {
        throw new ReleaseError(`pulumi up of ${req.stack} failed: ${automationErrorSummary(err.message)}`);
      });
    return stackReleaseFromOutputs(req.stack, result.outputs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
