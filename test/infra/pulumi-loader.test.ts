// The program loads the way `pulumi up` loads it: through `@pulumi/pulumi`'s cmd/run (run.js), which
// registers ts-node (type-checking; automatic ESM mode for a "type": "module" package when ts-node/esm
// resolves and no --import/--loader/--require is in execArgv) and then imports Pulumi.yaml's `main`,
// in the folder the language host runs it from. tsx-based tests prove none of this: tsx strips types
// without checking them and resolves modules its own way.
//
// Each run is a child process with no node flags (test/support/pulumi-loader-child.mjs), an
// environment like the language host's (PULUMI_NODEJS_TYPESCRIPT from runtime.options.typescript;
// nothing of NODE_OPTIONS, TS_NODE_* or PULUMI_NODEJS_* from the caller's shell, any of which can
// switch the type check off), and the mocks of scripts/lib/mock-program.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, runStack, STACKS } from "../support/pulumi-program.js";

const CHILD = path.join(REPO_ROOT, "test/support/pulumi-loader-child.mjs");
// Type-checking the program against @pulumi/aws's declarations takes about 20 s of CPU per stack;
// the bound leaves room for a busy two-core machine.
const TIMEOUT_MS = 120_000;

const project = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
  main: string;
  runtime: { name: string; options?: { typescript?: boolean; tsconfig?: string; nodeargs?: string } };
};
const options = project.runtime.options ?? {};
// The language host runs `main` from its own folder (pulumi/pulumi pkg/engine/project.go, getPwdMain:
// pwd = the folder of `main`, entry point = its file name). run.js finds no tsconfig.json there and
// would tell ts-node to skip the project, but in automatic ESM mode its options never reach ts-node:
// cmd/run/hooks.js calls ts-node's register() while the module is evaluated, before Node passes it
// run.js's options through initialize(). ts-node so runs on its defaults and TS_NODE_* variables
// (PULUMI_NODEJS_TRANSPILE_ONLY and tsconfig's noCheck have no effect) and finds the project's
// tsconfig.json by searching up from the working directory; a control below pins that.
const PROGRAM_DIR = path.dirname(path.join(REPO_ROOT, project.main));
const ENTRY = path.basename(project.main);

/** The language host's environment for the child (pulumi-language-nodejs main.go, execNodejs), with `extra` on top. */
function hostEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS" && !k.startsWith("TS_NODE_") && !k.startsWith("PULUMI_NODEJS_")),
  );
  if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface Loaded {
  stack: string;
  execArgv: string[];
  resources: { type: string; name: string }[];
  outputs: string[];
}
type Outcome = { ok: true; loaded: Loaded } | { ok: false; error: string };

/** Loads a program through cmd/run in a flag-free child process. */
function load(stack: string, programDir: string, entry: string, env = hostEnv()): Promise<Outcome> {
  const nodeArgs = options.nodeargs ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, CHILD, stack, programDir, entry],
      { cwd: REPO_ROOT, env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err.killed || err.signal)) return reject(new Error(`${stack}: no result within ${TIMEOUT_MS / 1000} s\n${stderr}`));
        const line = (err ? stderr : stdout).trim().split("\n").pop() ?? "";
        try {
          const parsed = JSON.parse(line);
          resolve(err ? { ok: false, error: String(parsed.error?.message) } : { ok: true, loaded: parsed });
        } catch {
          reject(new Error(`${stack}: the child printed no result (exit ${err?.code ?? 0})\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;

describe("the program loads through Pulumi's own loader (cmd/run, ts-node ESM mode)", () => {
  it("Pulumi.yaml keeps ts-node on (runtime.options.typescript is not false)", () => {
    assert.equal(project.runtime.name, "nodejs");
    assert.notEqual(options.typescript, false);
  });

  for (const stack of STACKS) {
    it(`${stack}: every resource the mocks-run registers, under the root Stack run.js creates, no node flags`, async () => {
      const outcome = await load(stack, PROGRAM_DIR, ENTRY);
      assert.ok(outcome.ok, outcome.ok ? "" : outcome.error);
      const { loaded } = outcome;
      assert.deepEqual(loaded.execArgv, []);
      const roots = loaded.resources.filter((r) => r.type === "pulumi:pulumi:Stack");
      assert.deepEqual(roots.map((r) => r.name), [`inference-platform-${stack}`]);

      const expected = await runStack(stack);
      assert.deepEqual(
        loaded.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map(key).sort(),
        expected.resources.map(key).sort(),
      );
      assert.deepEqual(loaded.outputs, Object.keys(expected.outputs).sort());
    });
  }
});

// Negative controls: tiny programs laid out like this one (a "type": "module" package, the project's
// tsconfig.json at its root, `main` in a subfolder), so that a stack run above cannot pass without
// ts-node compiling and checking every module it imports.
describe("the loader really type-checks and resolves (controls)", () => {
  let dir = "";
  let programDir = "";
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "pulumi-loader-"));
    programDir = path.join(dir, path.dirname(project.main));
    mkdirSync(programDir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "loader-control", private: true, type: "module" }));
    writeFileSync(path.join(dir, "tsconfig.json"), readFileSync(path.join(REPO_ROOT, "tsconfig.json")));
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const files: Record<string, string> = {
      "index.ts": `import { n } from "./lib.js";\nexport const answer: number = n + 1;\n`,
      "lib.ts": `export const n: number = 41;\n`,
      "type-error.ts": `import { bad } from "./bad-lib.js";\nexport const answer = bad;\n`,
      "bad-lib.ts": `export const bad: number = "not a number";\n`,
      "unchecked-index.ts": `const a: number[] = [];\nexport const answer: number = a[0];\n`,
      "missing.ts": `import { n } from "./no-such-module.js";\nexport const answer = n;\n`,
      "single-type-error.ts": `export const answer: number = "not a number";\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(programDir, name), text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a valid two-module program loads and exports what it computes", async () => {
    const outcome = await load("local", programDir, "index.ts");
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error);
    assert.deepEqual(outcome.loaded.outputs, ["answer"]);
  });

  it("a type error in an imported module fails the load, naming the file and the diagnostic", async () => {
    const outcome = await load("local", programDir, "type-error.ts");
    assert.ok(!outcome.ok, "a program with a type error loaded");
    assert.match(outcome.error, /bad-lib\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it("the same program loads when TS_NODE_TRANSPILE_ONLY turns the check off: the failure above is the type check", async () => {
    const outcome = await load("local", programDir, "type-error.ts", hostEnv({ TS_NODE_TRANSPILE_ONLY: "true" }));
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error);
  });

  it("the check uses the project's tsconfig.json (strict, noUncheckedIndexedAccess), as tsc does", async () => {
    const outcome = await load("local", programDir, "unchecked-index.ts");
    assert.ok(!outcome.ok, "an unchecked index access loaded");
    assert.match(outcome.error, /unchecked-index\.ts\(2,14\): error TS2322: Type 'number \| undefined' is not assignable to type 'number'/);
  });

  it("an import of a missing module fails the load", async () => {
    const outcome = await load("local", programDir, "missing.ts");
    assert.ok(!outcome.ok, "a program importing a missing module loaded");
    assert.match(outcome.error, /no-such-module/);
  });

  it("without PULUMI_NODEJS_TYPESCRIPT Node strips the types itself and a type error loads: why the child sets it as the host does", async () => {
    const outcome = await load("local", programDir, "single-type-error.ts", hostEnv({ PULUMI_NODEJS_TYPESCRIPT: undefined }));
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error);
  });
});
