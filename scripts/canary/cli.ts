// The command line of `npm run canary`, validated before any cluster is touched.
import { parseArgs } from "node:util";
import { durationOption } from "../lib/cli-args.js";

export const CANARY_COMMANDS = ["status", "promote", "abort", "wait"] as const;
export type CanaryCommand = (typeof CANARY_COMMANDS)[number];

export const CANARY_USAGE =
  "usage: npm run canary -- <stack> status|promote|abort|wait [--timeout <duration, e.g. 45m>] [--interval <duration, default 10s>]";

export class UsageError extends Error {
  override name = "UsageError";
}

const STACK = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

/** "90s", "45m", "2h" in seconds (lib/cli-args.ts), refused with this command's usage. */
export function parseDuration(text: string, what: string): number {
  try {
    return durationOption(what.replace(/^--/, ""), text, 0);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${CANARY_USAGE}`);
  }
}

export interface CanaryArgs {
  stack: string;
  command: CanaryCommand;
  /** wait: give up after this many seconds (default 30 minutes). */
  timeoutSeconds: number;
  /** wait: seconds between two reads of the Rollout (default 10). */
  intervalSeconds: number;
}

export function parseCanaryArgs(argv: string[]): CanaryArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { timeout: { type: "string" }, interval: { type: "string" } } });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${CANARY_USAGE}`);
  }
  const [stack, command, ...rest] = parsed.positionals;
  if (!stack) throw new UsageError(`missing stack\n${CANARY_USAGE}`);
  if (!STACK.test(stack)) throw new UsageError(`"${stack}" is not a stack name (stack, org/stack or org/project/stack)\n${CANARY_USAGE}`);
  if (!command) throw new UsageError(`missing command; allowed: ${CANARY_COMMANDS.join(", ")}\n${CANARY_USAGE}`);
  if (!(CANARY_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; allowed: ${CANARY_COMMANDS.join(", ")}\n${CANARY_USAGE}`);
  }
  if (rest.length > 0) throw new UsageError(`too many arguments: ${rest.join(" ")}\n${CANARY_USAGE}`);
  const { timeout, interval } = parsed.values;
  if (command !== "wait" && (timeout !== undefined || interval !== undefined)) throw new UsageError(`--timeout and --interval belong to wait\n${CANARY_USAGE}`);
  return {
    stack,
    command: command as CanaryCommand,
    timeoutSeconds: timeout === undefined ? 1800 : parseDuration(timeout, "--timeout"),
    intervalSeconds: interval === undefined ? 10 : parseDuration(interval, "--interval"),
  };
}
