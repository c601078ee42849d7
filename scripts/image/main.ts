// npm run image [-- --record]: builds the CPU image with podman on the stand-in base,
// runs it as the Deployment does and prints what it measured; exits 1 when a check
// fails. --record also writes the figures the plan's cold-start budget uses
// (scripts/image/figures.json).
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { checkCpuImage, CPU_APP_BUDGET_BYTES, problems } from "./check.js";
import { megabytes } from "./build.js";
import { podmanSkipReason } from "./podman.js";
import type { Figures } from "./cold-start.js";

const skip = podmanSkipReason();
if (skip) {
  console.error(`image: cannot run here: ${skip}`);
  process.exit(2);
}
const check = await checkCpuImage((line) => console.log(line));
const load = loadavg().map((n) => Number(n.toFixed(2)));
console.log(`image size ${megabytes(check.image.size)}: base ${megabytes(check.image.baseSize)} + ${megabytes(check.image.size - check.image.baseSize)} (budget base + ${megabytes(CPU_APP_BUDGET_BYTES)}); load average ${load.join(" ")}`);
const found = problems(check);
for (const p of found) console.log(`FAIL ${p}`);
if (process.argv.includes("--record") && found.length === 0) {
  const figures: Figures = {
    measuredAt: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    loadAverage: load,
    baseBytes: check.image.baseSize,
    imageBytes: check.image.size,
    appLayerBytes: check.image.appLayers.filter((l) => l.size > 0).at(-1)?.size ?? 0,
    readySeconds: Number(check.readySeconds.toFixed(2)),
  };
  writeFileSync(new URL("./figures.json", import.meta.url), `${JSON.stringify(figures, null, 2)}\n`);
  console.log("image: figures written to scripts/image/figures.json");
}
console.log(found.length === 0 ? "image: every check passed" : `image: ${found.length} check(s) failed`);
process.exit(found.length === 0 ? 0 : 1);
