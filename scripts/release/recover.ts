// `npm run recover -- <stack>`: the scripted path after a cancelled or timed-out update (see
// stacks.ts recoverStack and recovery.ts): cancel, refresh clearing pending operations, advice.
import { RECOVER, runReleaseCommand } from "./cli.js";
import { recoveryAdvice } from "./recovery.js";
import { recoverStack } from "./stacks.js";
import { stackArg } from "../lib/cli-args.js";

await runReleaseCommand(RECOVER, async ({ positionals }) => {
  const stack = stackArg("target", positionals[0]);
  console.log(`recovering ${stack}: pulumi cancel, then pulumi refresh --clear-pending-creates`);
  const pending = await recoverStack(stack);
  for (const line of recoveryAdvice(pending)) console.log(line);
  console.log(`${stack} is ready for the next update`);
});
