// `npm run smoke -- <endpoint-url>`: exits 0 only when every smoke check passed, so CI can gate
// promotion (and trigger rollback) on it. Prints one line per check and the burst figures.
import { writeFileSync } from "node:fs";
import { parseSmokeArgs, SMOKE_USAGE, UsageError } from "./smoke/args.js";
import { checkLine, runSmoke } from "./smoke/smoke.js";

try {
  const { options, reportFile } = parseSmokeArgs(process.argv.slice(2), process.env);
  const report = await runSmoke(options);
  for (const c of report.checks) console.log(checkLine(c));
  if (reportFile) writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(report.passed ? `smoke test of ${options.baseUrl} passed` : `smoke test of ${options.baseUrl} FAILED`);
  process.exitCode = report.passed ? 0 : 1;
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`smoke: ${err.message}\n${SMOKE_USAGE}`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
