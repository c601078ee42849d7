// Where the server's CPU goes per request on the light model: the compiled server runs
// under `node --cpu-prof` (every thread writes a V8 profile), autocannon loads it with
// distinct texts, and the samples taken during the load are charged to the steps of the
// request path (cpu-profile.ts) and divided by the requests answered. Usage:
//   npx tsx scripts/bench/profile-server.ts [texts per request=1] [seconds=8] [connections=64]
// Extra server settings come from the environment (e.g. WORKERS=1 ORT_INTRA_OP_THREADS=1);
// PROFILE_DIR keeps the .cpuprofile files there (open them in Chrome DevTools).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { categorize, perRequest, type CpuProfile } from "./cpu-profile.js";
import { LIGHT_MODEL, lightJsonBodies, lightTexts } from "./light-model.js";
import { load } from "./load.js";
import { compileApp, REPO_ROOT, startServerProcess } from "./processes.js";
import { formatTable } from "./report.js";

const positive = (arg: string | undefined, fallback: number, what: string) => {
  const n = Number(arg ?? fallback);
  if (!(n > 0)) throw new Error(`${what} must be a positive number, got ${arg}`);
  return n;
};

async function main(): Promise<void> {
  const texts = positive(process.argv[2], 1, "texts per request");
  const seconds = positive(process.argv[3], 8, "seconds");
  const connections = positive(process.argv[4], 64, "connections");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "inference-profile-"));
  try {
    const main = compileApp(tmp);
    const profiles = process.env.PROFILE_DIR ? path.resolve(process.env.PROFILE_DIR) : path.join(tmp, "profiles");
    const server = await startServerProcess(
      main,
      { MODEL_REPOSITORY: path.join(REPO_ROOT, "app/models"), CACHE_ENABLED: "false" },
      ["--cpu-prof", `--cpu-prof-dir=${profiles}`],
    );
    const url = `${server.url}/v2/models/${LIGHT_MODEL}/infer`;
    const bodies = lightJsonBodies(lightTexts(), texts);
    await load(url, bodies, connections, 2);
    const from = Number(process.hrtime.bigint() / 1000n);
    const run = await load(url, bodies, connections, seconds);
    const to = Number(process.hrtime.bigint() / 1000n);
    await server.stop();
    console.log(
      `${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}: ${texts} text(s) per request, ${connections} connections, ` +
        `${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.total} requests, ${run.failures} failed`,
    );
    for (const file of readdirSync(profiles).sort()) {
      const profile = JSON.parse(readFileSync(path.join(profiles, file), "utf8")) as CpuProfile;
      // Both clocks are CLOCK_MONOTONIC in µs; a profile that does not overlap the run is reported whole.
      const overlaps = profile.startTime < to && profile.endTime > from;
      const rows = perRequest(categorize(profile, undefined, overlaps ? from : -Infinity, overlaps ? to : Infinity), run.total);
      const total = rows.reduce((s, r) => s + r.usPerRequest, 0);
      console.log(`\n${file}: ${total.toFixed(1)} µs of CPU per request${overlaps ? "" : " (whole profile: it does not overlap the load run)"}`);
      console.log(formatTable(["step", "µs/request", "share"], rows.map((r) => [r.category, r.usPerRequest.toFixed(1), `${(r.share * 100).toFixed(1)} %`])));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
