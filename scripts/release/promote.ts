// `npm run promote -- <from> <to>`: deploys the digest the source stack runs to the target stack,
// without rebuilding, after smoke-testing the source and finding the digest in its registry.
import { planPromotion, ReleaseError } from "../../infra/delivery/release-history.js";
import { imageExists } from "./registry.js";
import { parsePromoteArgs, runCommand } from "./cli.js";
import { deployRelease, readStackRelease } from "./stacks.js";
import { checkLine, defaultSmokeOptions, runSmoke } from "../smoke/smoke.js";

await runCommand(async () => {
  const args = parsePromoteArgs(process.argv.slice(2));
  const [source, target] = await Promise.all([readStackRelease(args.from), readStackRelease(args.to)]);
  if (!source.endpointUrl) throw new ReleaseError(`stack ${args.from} has no endpointUrl output to verify the release against`);
  const latest = source.releases.at(-1);
  const smoke = await runSmoke(defaultSmokeOptions(source.endpointUrl, process.env));
  for (const c of smoke.checks) console.log(checkLine(c, `${args.from} `));
  const plan = planPromotion({
    source,
    target,
    sourceSmoke: smoke,
    inRegistry: latest ? await imageExists(latest.imageRef) : false,
    ...(args.expectDigest ? { expectDigest: args.expectDigest } : {}),
  });
  if (plan.action === "none") {
    console.log(`nothing to do: ${plan.reason}`);
    return;
  }
  console.log(`promoting ${plan.release.imageRef} (git ${plan.release.gitSha}) from ${args.from} to ${args.to}`);
  const after = await deployRelease({ stack: args.to, release: plan.release, message: `promote ${plan.release.digest} from ${args.from}` });
  console.log(`${args.to} now runs ${after.imageDigest}; endpoint ${after.endpointUrl ?? "(none)"}`);
});
