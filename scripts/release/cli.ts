// Command lines of `npm run promote` and `npm run rollback`, validated before any stack is touched.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isDigest, ReleaseError } from "../../infra/delivery/release-history.js";

const STACK = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

function stackName(role: string, value: string | undefined, usage: string): string {
  if (value === undefined) throw new ReleaseError(`missing ${role} stack\n${usage}`);
  if (!STACK.test(value)) throw new ReleaseError(`${role} stack "${value}" is not a stack name (stack, org/stack or org/project/stack)\n${usage}`);
  return value;
}

function parse(argv: string[], usage: string, options: ParseArgsConfig["options"] = {}) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (err) {
    throw new ReleaseError(`${(err as Error).message}\n${usage}`);
  }
}

export const ROLLBACK_USAGE = "usage: npm run rollback -- <stack> [release]   (release: digest, digest prefix or git sha prefix; default: the previous release)";

export function parseRollbackArgs(argv: string[]): { stack: string; release?: string } {
  const { positionals } = parse(argv, ROLLBACK_USAGE);
  if (positionals.length > 2) throw new ReleaseError(`too many arguments: ${positionals.slice(2).join(" ")}\n${ROLLBACK_USAGE}`);
  const stack = stackName("target", positionals[0], ROLLBACK_USAGE);
  const release = positionals[1];
  return release ? { stack, release } : { stack };
}

export const PROMOTE_USAGE = "usage: npm run promote -- <from-stack> <to-stack> [--expect-digest sha256:<hex>]";

export function parsePromoteArgs(argv: string[]): { from: string; to: string; expectDigest?: string } {
  const { positionals, values } = parse(argv, PROMOTE_USAGE, { "expect-digest": { type: "string" } });
  if (positionals.length > 2) throw new ReleaseError(`too many arguments: ${positionals.slice(2).join(" ")}\n${PROMOTE_USAGE}`);
  const from = stackName("source", positionals[0], PROMOTE_USAGE);
  const to = stackName("target", positionals[1], PROMOTE_USAGE);
  const expect = values["expect-digest"];
  if (typeof expect === "string" && !isDigest(expect)) throw new ReleaseError(`--expect-digest must be sha256:<64 hex>, got "${expect}"`);
  return typeof expect === "string" ? { from, to, expectDigest: expect } : { from, to };
}

/** Runs a command's main, printing a ReleaseError as one clear line and exiting 1. */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof ReleaseError)) throw err;
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  }
}
