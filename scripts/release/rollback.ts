// `npm run rollback -- <stack> [release]`: redeploys an earlier release's digest, no rebuild.
// Without a release it returns to the previous one that was never rolled back itself.
import { planRollback, ReleaseError } from "../../infra/delivery/release-history.js";
import { imageExists, tagReleased } from "./registry.js";
import { ROLLBACK, rollbackArgs, runReleaseCommand } from "./cli.js";
import { deployRelease, readStackRelease } from "./stacks.js";

await runReleaseCommand(ROLLBACK, async (parsed) => {
  const args = rollbackArgs(parsed);
  const state = await readStackRelease(args.stack);
  const plan = planRollback(args.stack, state.releases, state.imageDigest, args.release, args.force);
  if (!(await imageExists(plan.target.imageRef))) {
    throw new ReleaseError(`cannot roll back to ${plan.target.imageRef}: the registry no longer holds that digest`);
  }
  const redeploy = plan.target.digest === plan.replaces;
  console.log(
    redeploy
      ? `redeploying ${plan.target.digest} on ${args.stack} (git ${plan.target.gitSha}): the stack's outputs name it, but the last update failed`
      : `rolling ${args.stack} back from ${plan.replaces} to ${plan.target.digest} (git ${plan.target.gitSha}, released ${plan.target.time})`,
  );
  // Releases recorded before release tags existed get theirs now; for the others this is a no-op.
  console.log(await tagReleased(plan.target.imageRef, args.stack));
  const after = await deployRelease({
    stack: args.stack,
    release: plan.target,
    ...(redeploy ? {} : { rollbackOf: plan.replaces }),
    message: `rollback to ${plan.target.digest} (git ${plan.target.gitSha})`,
  });
  console.log(`${args.stack} now runs ${after.imageDigest}; endpoint ${after.endpointUrl ?? "(none)"}`);
});
