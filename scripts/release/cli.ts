// Command lines of `npm run promote|rollback|recover|drift`, validated before any stack is touched
// (scripts/lib/cli-args.ts: --help, one-line errors with exit 2, known stack names).
import { integerOption, runCli, stackArg, UsageError, type CommandSpec, type ParsedCommand } from "../lib/cli-args.js";
import { isDigest, ReleaseError, UPDATE_FAILED_EXIT, UpdateFailedError } from "../../infra/delivery/release-history.js";

export { integerOption };

const EXIT_STATUS = "exit status: 0 done, 1 refused or failed before changing the stack, 2 bad command line, 3 `pulumi up` ran and failed";

export const PROMOTE: CommandSpec = {
  command: "npm run promote",
  usage: `usage: npm run promote -- <from-stack> <to-stack> [--expect-digest sha256:<hex>] [--force] [--save-plan FILE | --plan FILE]
Deploys the digest <from-stack> runs to <to-stack> with this checkout's program (also when <to-stack>
already runs it: infra and config changes reach every stack), after smoke-testing <from-stack> with
its own token (SMOKE_TOKEN_<FROM>) and finding the digest in its registry.
  --expect-digest D   refuse unless <from-stack> still runs D (CI passes the digest it verified)
  --force             promote even a digest <to-stack> recorded as rolled back
  --save-plan FILE    only preview, print the diff and save the Pulumi update plan to FILE
  --plan FILE         apply exactly the update plan in FILE; the update fails if it no longer holds
${EXIT_STATUS}`,
  positionals: [2, 2],
  options: {
    "expect-digest": { type: "string" },
    force: { type: "boolean" },
    "save-plan": { type: "string" },
    plan: { type: "string" },
  },
};

export interface PromoteArgs {
  from: string;
  to: string;
  expectDigest?: string;
  force: boolean;
  savePlan?: string;
  plan?: string;
}

export function promoteArgs({ values, positionals }: ParsedCommand): PromoteArgs {
  const from = stackArg("source", positionals[0]);
  const to = stackArg("target", positionals[1]);
  if (from.split("/").at(-1) === to.split("/").at(-1)) throw new UsageError(`cannot promote stack ${from} to itself`);
  const expect = values["expect-digest"];
  if (typeof expect === "string" && !isDigest(expect)) throw new UsageError(`--expect-digest must be sha256:<64 hex>, got "${expect}"`);
  const savePlan = typeof values["save-plan"] === "string" ? values["save-plan"] : undefined;
  const plan = typeof values.plan === "string" ? values.plan : undefined;
  if (savePlan !== undefined && plan !== undefined) throw new UsageError("--save-plan previews and --plan applies: give one of them");
  return {
    from,
    to,
    force: values.force === true,
    ...(typeof expect === "string" ? { expectDigest: expect } : {}),
    ...(savePlan !== undefined ? { savePlan } : {}),
    ...(plan !== undefined ? { plan } : {}),
  };
}

export const ROLLBACK: CommandSpec = {
  command: "npm run rollback",
  usage: `usage: npm run rollback -- <stack> [release] [--force]
Redeploys an earlier release of <stack> by digest, without rebuilding.
  release    digest, digest prefix or git sha prefix (at least 7 hex digits); default: the newest earlier
             release that was never rolled back itself
  --force    redeploy the named release even if the stack's outputs say it runs it (after a failed update)
${EXIT_STATUS}`,
  positionals: [1, 2],
  options: { force: { type: "boolean" } },
};

export function rollbackArgs({ values, positionals }: ParsedCommand): { stack: string; release?: string; force: boolean } {
  const stack = stackArg("target", positionals[0]);
  const release = positionals[1];
  const force = values.force === true;
  if (force && release === undefined) throw new UsageError("--force needs a named release: the one to redeploy");
  return release ? { stack, release, force } : { stack, force };
}

export const RECOVER: CommandSpec = {
  command: "npm run recover",
  usage: `usage: npm run recover -- <stack>
After a cancelled or timed-out update: pulumi cancel (releases the update lock), then pulumi refresh
--clear-pending-creates; lists what was pending, so a half-created resource can be found and imported.
exit status: 0 recovered, 1 failed, 2 bad command line`,
  positionals: [1, 1],
};

export const DRIFT: CommandSpec = {
  command: "npm run drift",
  usage: `usage: npm run drift -- <stack>
pulumi preview --refresh --expect-no-changes --diff of <stack> against the image it runs (a stack that
builds previews its build): any difference between the cloud, the state and the program is drift.
exit status: 0 no drift, 1 drift (the diff is printed) or the preview failed, 2 bad command line`,
  positionals: [1, 1],
};

/** A release command's errors: ReleaseError is one line and exit 1, a failed update exit 3. */
export function releaseFailure(err: unknown): { message: string; exitCode: number } | undefined {
  if (err instanceof UpdateFailedError) return { message: err.message, exitCode: UPDATE_FAILED_EXIT };
  if (err instanceof ReleaseError) return { message: err.message, exitCode: 1 };
  return undefined;
}

/** Runs a release command: parsing, --help, and its errors as above. */
export function runReleaseCommand(spec: CommandSpec, main: (args: ParsedCommand) => Promise<number | void>): Promise<void> {
  return runCli(spec, process.argv.slice(2), main, releaseFailure);
}
