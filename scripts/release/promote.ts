// `npm run promote -- <from> <to>`: deploys the digest the source stack runs to the target stack,
// without rebuilding, after smoke-testing the source and finding the digest in its registry.
// With --save-plan it only previews and saves the update plan; with --plan it applies that plan.
import { planPromotion, ReleaseError } from "../../infra/delivery/release-history.js";
import { imageExists, tagReleased } from "./registry.js";
import { PROMOTE, promoteArgs, runReleaseCommand } from "./cli.js";
import { deployRelease, previewRelease, readStackRelease } from "./stacks.js";
import { checkLine, defaultSmokeOptions, runSmoke } from "../smoke/smoke.js";

await runReleaseCommand(PROMOTE, async (parsed) => {
  const args = promoteArgs(parsed);
  const [source, target] = await Promise.all([readStackRelease(args.from), readStackRelease(args.to)]);
  if (!source.endpointUrl) throw new ReleaseError(`stack ${args.from} has no endpointUrl output to verify the release against`);
  const latest = source.releases.at(-1);
  // The source's own token: this job may hold the target's too, which the source must never see.
  const smoke = await runSmoke({
    ...defaultSmokeOptions(source.endpointUrl, process.env, args.from),
    ...(source.grpcEndpoint ? { grpcEndpoint: source.grpcEndpoint } : {}),
  });
  for (const c of smoke.checks) console.log(checkLine(c, `${args.from} `));
  const plan = planPromotion({
    source,
    target,
    sourceSmoke: smoke,
    inRegistry: latest ? await imageExists(latest.imageRef) : false,
    force: args.force,
    ...(args.expectDigest ? { expectDigest: args.expectDigest } : {}),
  });
  const what = plan.alreadyRunning
    ? `${args.to} already runs ${plan.release.digest}: applying this commit's program to it`
    : `promoting ${plan.release.imageRef} (git ${plan.release.gitSha}) from ${args.from} to ${args.to}`;
  if (args.savePlan) {
    console.log(`preview: ${what}`);
    await previewRelease({ stack: args.to, release: plan.release, savePlan: args.savePlan });
    console.log(`update plan saved to ${args.savePlan}`);
    return;
  }
  console.log(what);
  console.log(await tagReleased(plan.release.imageRef, args.to));
  const after = await deployRelease({
    stack: args.to,
    release: plan.release,
    message: `promote ${plan.release.digest} from ${args.from}`,
    ...(args.plan ? { plan: args.plan } : {}),
  });
  console.log(`${args.to} now runs ${after.imageDigest}; endpoint ${after.endpointUrl ?? "(none)"}`);
});
