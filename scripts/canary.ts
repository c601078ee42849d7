// npm run canary -- <stack> status|promote|abort|wait [--timeout 45m]
// Reads and steers the stack's Argo Rollouts canary through the Kubernetes API
// (kubectl). `wait` is CI's gate after `pulumi up`: exit 0 once Healthy, 1 once
// Degraded (aborted: stable serves), 3 at the deadline (left as is), 2 on a bad
// command line. All decisions are in canary/rollout-state.ts.
import { setTimeout as sleep } from "node:timers/promises";
import { parseCanaryArgs, UsageError } from "./canary/cli.js";
import { ClusterError, openRollout, patchRollout, readDeploymentGeneration, readRollout, type RolloutHandle } from "./canary/cluster.js";
import { ABORT_PATCHES, describeRollout, inProgress, promotePatches, rolloutPhase, waitStep, WAIT_EXIT } from "./canary/rollout-state.js";

async function read(h: RolloutHandle) {
  const [ro, generation] = await Promise.all([readRollout(h), readDeploymentGeneration(h)]);
  return { ro, reading: rolloutPhase(ro, generation) };
}

async function main(argv: string[]): Promise<number> {
  const args = parseCanaryArgs(argv);
  const h = await openRollout(args.stack);
  try {
    const { ro, reading } = await read(h);
    switch (args.command) {
      case "status":
        console.log(describeRollout(ro, reading).join("\n"));
        return 0;
      case "promote":
      case "abort": {
        if (!inProgress(reading)) {
          console.log(`nothing to ${args.command}: rollout ${h.name} is ${reading.phase}`);
          return 0;
        }
        await patchRollout(h, args.command === "promote" ? promotePatches(ro) : ABORT_PATCHES);
        console.log(`${args.command === "promote" ? "promoted" : "aborted"} rollout ${h.name} in ${args.stack}`);
        return 0;
      }
      case "wait": {
        const deadline = Date.now() + args.timeoutSeconds * 1000;
        let last = "";
        for (let current = { ro, reading }; ; current = await read(h)) {
          const line = describeRollout(current.ro, current.reading)[0]!;
          if (line !== last) console.log(`${new Date().toISOString()} ${line}`);
          last = line;
          const step = waitStep(current.reading, Date.now(), deadline);
          if (step.done) {
            console.log(describeRollout(current.ro, current.reading).join("\n"));
            console.log(step.summary);
            return step.exitCode;
          }
          await sleep(Math.min(args.intervalSeconds * 1000, Math.max(0, deadline - Date.now())));
        }
      }
    }
  } finally {
    h.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}`);
    process.exitCode = WAIT_EXIT.usage;
  } else if (err instanceof ClusterError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
