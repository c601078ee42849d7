// Every command people type answers --help with its usage (exit 0), and every bad argument with
// exit 2 and one line that names what is wrong and what is allowed: an unknown stack names the
// known ones. Every row is checked against the command's own parser and validation; the first bad
// row and --help of each command also run the real script in a child process (exit status, the
// single stderr line), refused before it reaches a cloud, a Pulumi CLI or a model.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { BENCH } from "../../scripts/bench/cli.js";
import { knownStacks, parseCommand, UsageError, usageLine, type CommandSpec, type ParsedCommand } from "../../scripts/lib/cli-args.js";
import { PLAN, planSource } from "../../scripts/plan.js";
import { DRIFT, PROMOTE, promoteArgs, RECOVER, ROLLBACK, rollbackArgs } from "../../scripts/release/cli.js";
import { SMOKE, smokeCommand, WAIT_READY, waitReadyArgs } from "../../scripts/smoke/args.js";
import { TRAIN } from "../../scripts/train/train-spam-classifier.js";
import { stackArg } from "../../scripts/lib/cli-args.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const KNOWN = `known stacks: ${knownStacks().join(", ")}`;

interface Command {
  name: string;
  script: string;
  spec: CommandSpec;
  /** The command's checks after parsing (what its main does first). */
  validate: (args: ParsedCommand) => unknown;
  /** Bad command lines and the one line each must print. */
  bad: [string[], RegExp][];
}

const COMMANDS: Command[] = [
  {
    name: "plan",
    script: "scripts/plan.ts",
    spec: PLAN,
    validate: ({ positionals }) => planSource(positionals[0]!),
    bad: [
      [["nosuchstack"], /^npm run plan: unknown stack "nosuchstack"; known stacks: local, dev, staging, prod, or a path to an existing Pulumi\.<stack>\.yaml/],
      [[], /^npm run plan: expected 1 argument, got 0/],
      [["dev", "prod"], /^npm run plan: unexpected argument "prod"/],
      [["dev", "--verbose"], /^npm run plan: unknown option --verbose; options: --help/],
    ],
  },
  {
    name: "smoke",
    script: "scripts/smoke.ts",
    spec: SMOKE,
    validate: ({ values, positionals }) => smokeCommand(values, positionals, {}),
    bad: [
      [["http://127.0.0.1:1", "--stack", "qa"], new RegExp(`^npm run smoke: unknown --stack stack "qa"; ${KNOWN}`)],
      [["not a url"], /^npm run smoke: endpoint "not a url" is not a URL/],
      [["http://127.0.0.1:1", "--requests", "lots"], /^npm run smoke: --requests must be an integer 0-5000, got "lots"/],
      [["http://127.0.0.1:1", "--wait"], /^npm run smoke: unknown option --wait; options: --grpc, --stack, --wait-ready-s, /],
    ],
  },
  {
    name: "wait-ready",
    script: "scripts/wait-ready.ts",
    spec: WAIT_READY,
    validate: ({ values, positionals }) => waitReadyArgs(values, positionals),
    bad: [
      [["nosuchstack"], new RegExp(`^npm run wait-ready: unknown target stack "nosuchstack"; ${KNOWN}`)],
      [["dev", "--timeout", "soon"], /^npm run wait-ready: --timeout must be a positive duration such as 90s, 45m or 2h, got "soon"/],
      [["dev", "--interval", "0s"], /^npm run wait-ready: --interval must be a positive duration such as 90s, 45m or 2h, got "0s"/],
      [["dev", "--resume", "--timeout", "5m"], /^npm run wait-ready: --resume takes no --timeout or --interval/],
      [[], /^npm run wait-ready: expected 1 argument, got 0/],
    ],
  },
  {
    name: "promote",
    script: "scripts/release/promote.ts",
    spec: PROMOTE,
    validate: promoteArgs,
    bad: [
      [["dev", "nosuchstack"], new RegExp(`^npm run promote: unknown target stack "nosuchstack"; ${KNOWN}`)],
      [["dev"], /^npm run promote: expected 2 arguments, got 1/],
      [["dev", "staging", "--expect-digest", "abc"], /^npm run promote: --expect-digest must be sha256:<64 hex>, got "abc"/],
      [["dev", "staging", "--save-plan", "a", "--plan", "b"], /^npm run promote: --save-plan previews and --plan applies: give one of them/],
      [["prod", "org/prod"], /^npm run promote: cannot promote stack prod to itself/],
    ],
  },
  {
    name: "rollback",
    script: "scripts/release/rollback.ts",
    spec: ROLLBACK,
    validate: rollbackArgs,
    bad: [
      [["nosuchstack"], new RegExp(`^npm run rollback: unknown target stack "nosuchstack"; ${KNOWN}`)],
      [[], new RegExp(`^npm run rollback: expected 1 to 2 arguments, got 0`)],
      [["prod", "--force"], /^npm run rollback: --force needs a named release: the one to redeploy/],
      [["prod", "--yes"], /^npm run rollback: unknown option --yes; options: --force, --help/],
    ],
  },
  {
    name: "recover",
    script: "scripts/release/recover.ts",
    spec: RECOVER,
    validate: ({ positionals }) => stackArg("target", positionals[0]),
    bad: [[["nosuchstack"], new RegExp(`^npm run recover: unknown target stack "nosuchstack"; ${KNOWN}`)]],
  },
  {
    name: "drift",
    script: "scripts/release/drift.ts",
    spec: DRIFT,
    validate: ({ positionals }) => stackArg("stack", positionals[0]),
    bad: [[["a/b/c/prod"], new RegExp(`^npm run drift: unknown stack stack "a/b/c/prod"; ${KNOWN}`)]],
  },
  { name: "bench", script: "scripts/bench.ts", spec: BENCH, validate: () => undefined, bad: [[["--duration", "5"], /^npm run bench: unknown option --duration; options: --help/]] },
  { name: "train", script: "scripts/train/train-spam-classifier.ts", spec: TRAIN, validate: () => undefined, bad: [[["fast"], /^npm run train: unexpected argument "fast"/]] },
];

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The one line a command prints for argv, computed in-process; undefined when the line is accepted. */
function refusal(command: Command, argv: string[]): string | undefined {
  try {
    const parsed = parseCommand(command.spec, argv);
    if (parsed !== "help") command.validate(parsed);
    return undefined;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageLine(command.spec, err.message);
  }
}

describe("the command lines people type", () => {
  for (const command of COMMANDS) {
    describe(`npm run ${command.name}`, () => {
      it("has a usage that names the command and --help is recognised", () => {
        assert.match(command.spec.usage, new RegExp(`^usage: npm run ${command.name}\\b`));
        assert.equal(command.spec.command, `npm run ${command.name}`);
        assert.equal(parseCommand(command.spec, ["--help"]), "help");
        assert.equal(parseCommand(command.spec, ["-h"]), "help");
      });
      for (const [args, line] of command.bad) {
        it(`refuses ${JSON.stringify(args)} with one line`, () => {
          const printed = refusal(command, args);
          assert.ok(printed, "refused");
          assert.equal(printed.split("\n").length, 1);
          assert.match(printed, line);
          assert.match(printed, new RegExp(`\\(npm run ${command.name} -- --help shows the usage\\)$`));
        });
      }
      it("as a process: --help exits 0 with the usage, a bad line exits 2 with that one line", async () => {
        const help = await run(command.script, ["--help"]);
        assert.equal(help.code, 0, help.stderr);
        assert.equal(help.stdout.trimEnd(), command.spec.usage);
        const [args] = command.bad[0]!;
        const bad = await run(command.script, args);
        assert.equal(bad.code, 2, bad.stdout + bad.stderr);
        assert.equal(bad.stderr, `${refusal(command, args)}\n`);
      });
    });
  }

  it("covers every command in package.json that takes arguments", async () => {
    const { readFileSync } = await import("node:fs");
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const covered = new Set(COMMANDS.map((c) => c.name));
    for (const name of ["plan", "smoke", "wait-ready", "promote", "rollback", "recover", "drift", "bench", "train"]) {
      assert.ok(scripts[name], `npm run ${name} exists`);
      assert.ok(covered.has(name), `npm run ${name} has rows here`);
      assert.ok(scripts[name]!.includes(COMMANDS.find((c) => c.name === name)!.script), `npm run ${name} runs ${COMMANDS.find((c) => c.name === name)!.script}`);
    }
  });
});
