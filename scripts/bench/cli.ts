// Command line of `npm run bench` (scripts/lib/cli-args.ts), apart from bench.ts, which runs when imported.
import type { CommandSpec } from "../lib/cli-args.js";

export const BENCH: CommandSpec = {
  command: "npm run bench",
  usage: `usage: npm run bench
Throughput, latency, readiness and memory of the inference server, each figure beside the baseline
measured right next to it in the same run (raw onnxruntime, a bare endpoint). Loopback only; takes
no arguments. Environment: BENCH_DURATION seconds per load run (default 8, at most 120), BENCH_SECTIONS
which parts run (comma-separated: mlp, overload, light; default all), BENCH_CHART
where the SVG chart goes (default docs/bench.svg).`,
  positionals: [0, 0],
};
