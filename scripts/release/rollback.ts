// `npm run rollback -- <stack> [release]`: redeploys an earlier release's digest, no rebuild.
// Without a release it returns to the previous one that was never rolled back itself.
import { planRollback, ReleaseError } from "../../infra/delivery/release-history.js";
import { imageExists } from "./registry.js";
import { parseRollbackArgs, runCommand } from "./cli.js";
import { deployRelease, readStackRelease } from "./stacks.js";

await runCommand(async () => {
  const args = parseRollbackArgs(process.argv.slice(2));
  const state = await readStackRelease(args.stack);
  const plan = planRollback(args.stack, state.releases, state.imageDigest, args.release);
  if (!(await imageExists(plan.target.imageRef))) {
    throw new ReleaseError(`cannot roll back to ${plan.target.imageRef}: the registry no longer holds that digest`);
  }
  console.log(`rolling ${args.stack} back from ${plan.replaces} to ${plan.target.digest} (git ${plan.target.gitSha}, released ${plan.target.time})`);
  const after = await deployRelease({
    stack: args.stack,
    release: plan.target,
    rollbackOf: plan.replaces,
    message: `rollback to ${plan.target.digest} (git ${plan.target.gitSha})`,
  });
  console.log(`${args.stack} now runs ${after.imageDigest}; endpoint ${after.endpointUrl ?? "(none)"}`);
});
