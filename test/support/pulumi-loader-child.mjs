// Runs a Pulumi program the way the Node.js language host does, under the mocks of
// scripts/lib/mock-program.ts, and prints what it registered as one JSON line.
// Plain JavaScript on purpose: the process must start with no loader (no tsx, no --import),
// so that `@pulumi/pulumi/cmd/run/run.js` chooses ts-node's automatic ESM mode itself.
//
//   node pulumi-loader-child.mjs <stack name | Pulumi.<stack>.yaml> <program directory> <entry point>
//
// The language host starts `node <@pulumi/pulumi>/cmd/run --pwd <program directory> ... <entry point>`
// with PULUMI_NODEJS_TYPESCRIPT=true (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go,
// constructArguments and execNodejs; the program directory is the folder of Pulumi.yaml's `main`,
// pkg/engine/project.go getPwdMain). cmd/run/index.js parses those flags, connects to the engine
// and calls run.js's `run` at import time, so it is stood in for here: the mocks take the engine's place.
import Module, { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";

const [source, pwd, entry] = process.argv.slice(2);
if (!source || !pwd || !entry) {
  console.error("usage: pulumi-loader-child.mjs <stack | stack file> <program directory> <entry point>");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const runDir = path.dirname(require.resolve("@pulumi/pulumi/cmd/run/run.js"));

// The stand-in for cmd/run/index.js: run.js reads only this constant from it.
const index = path.join(runDir, "index.js");
const standIn = new Module(index);
standIn.filename = index;
standIn.loaded = true;
standIn.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
require.cache[index] = standIn;

// The mocks, before the loader registers anything (Node strips the types of this one file itself).
const repoRoot = path.resolve(import.meta.dirname, "../..");
const { prepareRun } = await import(pathToFileURL(path.join(repoRoot, "scripts/lib/mock-program.ts")).href);
const prepared = await prepareRun(source.endsWith(".yaml") ? { file: source } : source);

const { run } = require(path.join(runDir, "run.js"));
// Errors cross from the loader's thread as plain objects (a TSError's message and diagnosticCodes survive).
const describe = (err) => ({ message: String(err?.message ?? inspect(err)), diagnosticCodes: err?.diagnosticCodes ?? [] });
const fail = (err) => {
  console.error(JSON.stringify({ error: describe(err) }));
  process.exit(1);
};
// run.js's own handlers log uncaught errors and swallow them; index.js would turn them into the exit
// code. Its stand-in does that here: every error run.js reports fails the process.
try {
  // The arguments minimist gives index.js for `--pwd <dir> <entry>`.
  const outputs = await run({ _: [entry], pwd }, () => {}, fail, () => false);
  const result = await prepared.finish(outputs ?? {});
  console.log(
    JSON.stringify({
      stack: result.stack,
      execArgv: process.execArgv,
      resources: result.resources.map((r) => ({ type: r.type, name: r.name })),
      outputs: Object.keys(result.outputs).sort(),
    }),
  );
  process.exit(0);
} catch (err) {
  fail(err);
}
