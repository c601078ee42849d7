// A stand-in for the Pulumi CLI, for testing promote and rollback end to end where the real CLI
// cannot be installed. It answers the commands the Automation API issues from a JSON state file
// (FAKE_PULUMI_STATE: {stack: outputs}) and appends every invocation, with the config file an
// `up` was given and the RELEASE_* environment, to FAKE_PULUMI_LOG (one JSON object a line).
// Plain JavaScript so that each of the many CLI calls starts fast.
import { appendFileSync, existsSync, readFileSync } from "node:fs";

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
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("RELEASE_"))),
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
} else if (command === "up") {
  console.log(`Updating (${stack}) with ${configFile}`);
} else {
  console.error(`fake pulumi: unsupported command: ${args.join(" ")}`);
  process.exit(2);
}
