// `npm run wait-ready -- <stack> [--timeout 15m]`: CI's gate before the smoke test. Polls the
// workload (kubectl), the NLB's target groups (AWS CLI) and the readiness URL, and does what
// nextWaitStep (smoke/wait-ready.ts) decides: wait, wake a stack at zero once, stop ready (0) or
// fail (1) with the reason. `--resume` lifts the pause a wake left on the ScaledObject.
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "./lib/cli-args.js";
import { WAIT_READY, waitReadyArgs } from "./smoke/args.js";
import { probeReadiness } from "./smoke/readiness.js";
import { findTargetGroups, openStack, pauseAutoscaling, readTargetHealth, readWorkload, resumeAutoscaling, StackError, type StackHandle } from "./smoke/stack-probe.js";
import { nextWaitStep } from "./smoke/wait-ready.js";

const PROBE_TIMEOUT_MS = 5000;

async function waitReady(h: StackHandle, timeoutSeconds: number, intervalSeconds: number): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const groups = h.nlb ? await findTargetGroups(h) : undefined;
  if (groups) console.log(`NLB ${h.nlb!.hostname}: target groups ${groups.map((g) => g.name).join(", ")}`);
  let woken = false;
  for (;;) {
    const [deployment, targets, probe] = await Promise.all([readWorkload(h), groups ? readTargetHealth(h, groups) : undefined, probeReadiness(h.endpointUrl, PROBE_TIMEOUT_MS)]);
    // A certificate that does not match the name is not fixed by waiting (smoke/readiness.ts).
    if (probe.fatal) {
      console.error(`NOT ready: ${h.endpointUrl}: ${probe.detail}`);
      return 1;
    }
    const step = nextWaitStep({ now: Date.now(), deadline, deployment, ...(targets ? { targets } : {}), endpointReady: probe.ready, woken });
    const stamp = new Date().toISOString();
    switch (step.action) {
      case "ready":
        console.log(`${stamp} ready: ${h.workload.name} rolled out${targets ? ", every NLB target healthy" : ""}, ${h.endpointUrl} answers 200`);
        return 0;
      case "fail":
        console.error(`${stamp} NOT ready: ${step.reason}${probe.ready ? "" : ` (last readiness probe: ${probe.detail})`}`);
        return 1;
      case "wake":
        if (!h.scaledObject) {
          console.error(`${stamp} NOT ready: ${h.workload.name} is at zero replicas and the stack has no autoscaler to wake it`);
          return 1;
        }
        console.log(`${stamp} ${step.reason}: pausing ScaledObject ${h.scaledObject} at ${step.replicas}`);
        await pauseAutoscaling(h, step.replicas);
        woken = true;
        break;
      case "wait":
        console.log(`${stamp} waiting: ${step.reason}${probe.ready ? "" : ` (readiness: ${probe.detail})`}`);
        break;
    }
    await sleep(Math.min(intervalSeconds * 1000, Math.max(0, deadline - Date.now())));
  }
}

await runCli(
  WAIT_READY,
  process.argv.slice(2),
  async ({ values, positionals }) => {
    const args = waitReadyArgs(values, positionals);
    const h = await openStack(args.stack);
    try {
      if (args.resume) {
        const lifted = await resumeAutoscaling(h);
        console.log(lifted ? `resumed autoscaling: removed the pause on ScaledObject ${h.scaledObject}` : `no pause left by a wake in ${args.stack}: nothing to resume`);
        return 0;
      }
      return await waitReady(h, args.timeoutSeconds, args.intervalSeconds);
    } finally {
      h.close();
    }
  },
  (err) => (err instanceof StackError ? { message: err.message } : undefined),
);
