// A stand-in for the Pulumi CLI, for testing promote, rollback, recover and drift end to end where
// the real CLI cannot be installed. It answers the commands the Automation API issues from a JSON
// state file (FAKE_PULUMI_STATE: {stack: outputs}) and appends every invocation, with the config
// file it was given and the RELEASE_* / PULUMI_EXPERIMENTAL environment, to FAKE_PULUMI_LOG (one
// JSON object a line). FAKE_PULUMI_FAIL=up|preview-phase makes `up` fail in its update or its
// preview; FAKE_PULUMI_DRIFT=1 makes a `preview --expect-no-changes` find changes;
// FAKE_PULUMI_PENDING (JSON) is the pending_operations of `stack export`.
// Plain JavaScript so that each of the many CLI calls starts fast.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const statePath = process.env.FAKE_PULUMI_STATE ?? "";
const state = statePath && existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const stack = flag("--stack") ?? flag("-s");
const configFile = flag("--config-file");
const entry = {
  args,
  ...(configFile ? { configFile: readFileSync(configFile, "utf8") } : {}),
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("RELEASE_") || k === "PULUMI_EXPERIMENTAL")),
};
if (process.env.FAKE_PULUMI_LOG) appendFileSync(process.env.FAKE_PULUMI_LOG, `${JSON.stringify(entry)}\n`);

const [command, sub] = args;
if (command === "version") {
  console.log("v3.270.0");
} else if (command === "stack" && sub === "select") {
  if (!stack || !state[stack]) {
    console.error(`error: no stack named '${stack}' found`);
    process.exit(255);
  }
} else if (command === "stack" && sub === "output") {
  console.log(JSON.stringify(state[stack ?? ""] ?? {}));
} else if (command === "stack" && sub === "history") {
  console.log("[]");
} else if (command === "stack" && sub === "export") {
  console.log(JSON.stringify({ version: 3, deployment: { resources: [], pending_operations: JSON.parse(process.env.FAKE_PULUMI_PENDING ?? "[]") } }));
} else if (command === "up") {
  if (process.env.FAKE_PULUMI_FAIL === "preview-phase") {
    console.error("error: preview failed");
    process.exit(255);
  }
  if (process.env.FAKE_PULUMI_FAIL === "up") {
    console.error("error: update failed");
    process.exit(255);
  }
  console.log(`Updating (${stack}) with ${configFile}`);
} else if (command === "preview") {
  const plan = flag("--save-plan");
  if (plan) writeFileSync(plan, JSON.stringify({ fake: "update plan", stack }));
  if (args.includes("--expect-no-changes") && process.env.FAKE_PULUMI_DRIFT) {
    console.log("  ~ kubernetes:apps/v1:Deployment inference update [diff: ~spec]");
    console.error("error: no changes were expected but changes were proposed");
    process.exit(255);
  }
  console.log(`Previewing update (${stack})`);
} else if (command === "cancel") {
  console.error("error: [409] Conflict: The Update has already completed");
  process.exit(255);
} else if (command === "refresh") {
  console.log(`Refreshing (${stack})`);
} else {
  console.error(`fake pulumi: unsupported command: ${args.join(" ")}`);
  process.exit(2);
}
