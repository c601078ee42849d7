// `npm run drift -- <stack>`: fails (exit 1, diff printed) when the cloud, the state and the
// program disagree; the scheduled drift workflow runs it for every AWS stack.
import { DRIFT, runReleaseCommand } from "./cli.js";
import { checkDrift } from "./stacks.js";
import { stackArg } from "../lib/cli-args.js";

await runReleaseCommand(DRIFT, async ({ positionals }) => {
  const stack = stackArg("stack", positionals[0]);
  await checkDrift(stack);
  console.log(`no drift: ${stack} matches its program and state`);
});
