// The command lines people type (`npm run plan|smoke|wait-ready|promote|rollback|recover|drift|canary|bench|train`),
// one way: `--help` prints the usage and exits 0; a bad argument exits 2 with one line that says
// what is wrong and what is allowed; a stack name must be one of stacks/Pulumi.<name>.yaml.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";

const STACK_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../stacks");

/** A command line that cannot run; the message is the one line printed. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit status of a bad command line, for every command. */
export const USAGE_EXIT = 2;

/** Stack names with a stack file, sorted: what a stack argument may name. */
export function knownStacks(dir = STACK_DIR): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * A stack argument: a known short name, or `org/name` / `org/project/name` whose last part is
 * known (the stack file is chosen by that part). Anything else names the known stacks.
 */
export function stackArg(role: string, value: string | undefined, known: readonly string[] = knownStacks()): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${role} stack; known stacks: ${known.join(", ")}`);
  const parts = value.split("/");
  const short = parts.at(-1)!;
  if (parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p)) || !known.includes(short)) {
    throw new UsageError(`unknown ${role} stack "${value}"; known stacks: ${known.join(", ")} (optionally as org/<stack> or org/project/<stack>)`);
  }
  return value;
}

/** An integer option within bounds, or the fallback when absent. */
export function integerOption(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${flag} must be an integer ${min}-${max}, got "${raw}"`);
  return n;
}

/** A duration option ("90s", "45m", "2h") in seconds, or the fallback when absent. */
export function durationOption(flag: string, raw: string | undefined, fallbackSeconds: number): number {
  if (raw === undefined) return fallbackSeconds;
  const m = /^(\d+)(s|m|h)$/.exec(raw);
  if (!m || Number(m[1]) === 0) throw new UsageError(`--${flag} must be a positive duration such as 90s, 45m or 2h, got "${raw}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

export interface CommandSpec {
  /** What people type, e.g. "npm run rollback". */
  command: string;
  /** The full usage text `--help` prints (first line "usage: ..."). */
  usage: string;
  /** Options besides --help (node:util parseArgs form). */
  options?: ParseArgsConfig["options"];
  /** Positional arguments allowed: [min, max]. */
  positionals: [number, number];
}

export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses argv against the spec: "help" when --help or -h is given, otherwise the values, after
 * refusing unknown options, missing option values and a wrong number of positionals.
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    const allowed = [...Object.keys(spec.options ?? {}), "help"].map((o) => `--${o}`).join(", ");
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown) throw new UsageError(`unknown option ${unknown}; options: ${allowed}`);
    // node:util's messages are long and name its own API ("To specify a positional argument ..."):
    // keep the first sentence, which names the option.
    throw new UsageError((err as Error).message.split(/\.\s|\n/)[0]!.replace(/\.$/, ""));
  }
  if (parsed.values.help) return "help";
  const [min, max] = spec.positionals;
  const n = parsed.positionals.length;
  if (n > max) throw new UsageError(`unexpected argument${n - max > 1 ? "s" : ""} ${parsed.positionals.slice(max).map((p) => `"${p}"`).join(" ")}`);
  if (n < min) throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${n}`);
  return { values: parsed.values as ParsedCommand["values"], positionals: parsed.positionals };
}

/** The one line a bad command line prints. */
export function usageLine(spec: CommandSpec, message: string): string {
  return `${spec.command}: ${message} (${spec.command} -- --help shows the usage)`;
}

/**
 * Runs a command's main with its parsed arguments: --help prints the usage (exit 0), a
 * UsageError prints one line (exit 2), `failure(err)` may turn a domain error into one line
 * and an exit status (default 1); anything else propagates as a crash, which is a bug.
 */
export async function runCli(
  spec: CommandSpec,
  argv: readonly string[],
  main: (args: ParsedCommand) => Promise<number | void>,
  failure: (err: unknown) => { message: string; exitCode?: number } | undefined = () => undefined,
): Promise<void> {
  let args: ParsedCommand | "help";
  try {
    args = parseCommand(spec, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(usageLine(spec, err.message));
    process.exitCode = USAGE_EXIT;
    return;
  }
  if (args === "help") {
    console.log(spec.usage);
    process.exitCode = 0;
    return;
  }
  try {
    const code = await main(args);
    if (typeof code === "number") process.exitCode = code;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(usageLine(spec, err.message));
      process.exitCode = USAGE_EXIT;
      return;
    }
    const known = failure(err);
    if (known === undefined) throw err;
    console.error(`error: ${known.message}`);
    process.exitCode = known.exitCode ?? 1;
  }
}
