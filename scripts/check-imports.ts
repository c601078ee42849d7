// npm run check:imports — fails on an import cycle or an import across a forbidden layer
// (rules in scripts/lib/import-graph.ts, explained in docs/architecture.md).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findCycles, layerViolations, readImportGraph } from "./lib/import-graph.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { graph, packages } = readImportGraph(root, ["app/src", "infra", "scripts", "policy", "test"]);
const problems = [...findCycles(graph).map((c) => `import cycle: ${c.join(" -> ")}`), ...layerViolations(graph, packages)];
for (const p of problems) process.stderr.write(`${p}\n`);
if (problems.length > 0) process.exit(1);
process.stdout.write(`imports: ${graph.size} files, no cycles, layers respected\n`);
