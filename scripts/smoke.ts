// `npm run smoke -- <endpoint-url>`: exits 0 only when every smoke check passed, so CI can gate
// promotion (and trigger rollback) on it. Prints one line per check and the burst figures.
import { writeFileSync } from "node:fs";
import { runCli } from "./lib/cli-args.js";
import { SMOKE, smokeCommand } from "./smoke/args.js";
import { probeReadiness, waitUntilReady } from "./smoke/readiness.js";
import { checkLine, runSmoke } from "./smoke/smoke.js";

await runCli(SMOKE, process.argv.slice(2), async ({ values, positionals }) => {
  const { options, waitReadyS, reportFile } = smokeCommand(values, positionals, process.env);
  if (waitReadyS > 0) {
    console.log(`waiting up to ${waitReadyS} s for ${options.baseUrl} to be ready`);
    const wait = await waitUntilReady(() => probeReadiness(options.baseUrl, options.timeoutMs), { deadlineMs: waitReadyS * 1000, intervalMs: 10_000 });
    console.log(`${wait.ready ? "ready" : "NOT ready"} after ${Math.round(wait.waitedMs / 1000)} s and ${wait.attempts} probes: ${wait.detail}`);
  }
  const report = await runSmoke(options);
  for (const c of report.checks) console.log(checkLine(c));
  if (reportFile) writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(report.passed ? `smoke test of ${options.baseUrl} passed` : `smoke test of ${options.baseUrl} FAILED`);
  return report.passed ? 0 : 1;
});
