// The repository's import graph and the layering it must keep (docs/architecture.md):
// no cycles, and no import from a layer that must not be seen from where it is made.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/** Repo-relative file → repo-relative files it imports (relative specifiers only). */
export type ImportGraph = Map<string, string[]>;

export interface LayerRule {
  /** Files this rule constrains: a repo-relative folder prefix ending in "/". */
  from: string;
  /** Repo-relative folder prefixes, or bare package names, those files may not import. */
  forbidden: string[];
  why: string;
}

export const LAYER_RULES: LayerRule[] = [
  { from: "app/", forbidden: ["infra/", "scripts/", "policy/"], why: "the app image holds app/ only" },
  { from: "infra/", forbidden: ["scripts/", "policy/"], why: "the deployed program does not depend on CLI tooling; shared code lives in infra/" },
  { from: "app/src/protocol/", forbidden: ["app/src/core/", "app/src/cache/", "app/src/http/", "app/src/grpc/", "app/src/observability/", "app/src/app.ts", "app/src/config.ts"], why: "the protocol is the bottom layer: types, validation and codecs" },
  { from: "app/src/cache/", forbidden: ["app/src/core/", "app/src/http/", "app/src/grpc/", "app/src/app.ts"], why: "the cache stores results; it knows nothing of who computes or serves them" },
  { from: "app/src/core/", forbidden: ["app/src/http/", "app/src/grpc/", "app/src/app.ts", "express"], why: "the core runs requests on models; front doors depend on it, never the reverse" },
  { from: "app/src/http/", forbidden: ["app/src/grpc/", "app/src/app.ts"], why: "front doors are siblings; only the composition root sees them all" },
  { from: "app/src/grpc/", forbidden: ["app/src/http/", "app/src/app.ts", "express"], why: "front doors are siblings; only the composition root sees them all" },
  { from: "app/src/cluster/", forbidden: ["app/src/core/", "app/src/http/", "app/src/grpc/", "app/src/cache/", "app/src/protocol/", "app/src/app.ts"], why: "process management: main.ts wires it around the app; it knows nothing of requests" },
  { from: "app/src/observability/", forbidden: ["app/src/core/", "app/src/http/", "app/src/grpc/", "app/src/cache/", "app/src/app.ts"], why: "metrics and logs are used by every layer and use none" },
];

const SOURCE = /\.(ts|mts)$/;

/** Reads every .ts file under `folders` of `root` and resolves its relative imports. */
export function readImportGraph(root: string, folders: readonly string[]): { graph: ImportGraph; packages: Map<string, string[]> } {
  const graph: ImportGraph = new Map();
  const packages = new Map<string, string[]>();
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) return [];
      const full = path.join(dir, e.name);
      return e.isDirectory() ? walk(full) : SOURCE.test(e.name) && !e.name.endsWith(".d.ts") ? [full] : [];
    });
  for (const folder of folders) {
    const abs = path.join(root, folder);
    if (!fs.existsSync(abs)) continue;
    for (const file of walk(abs)) {
      const rel = path.relative(root, file);
      const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
      const specs = info.importedFiles.map((f) => f.fileName);
      graph.set(
        rel,
        specs.filter((s) => s.startsWith(".")).map((s) => path.relative(root, path.resolve(path.dirname(file), s)).replace(/\.js$/, ".ts")),
      );
      packages.set(rel, specs.filter((s) => !s.startsWith(".") && !s.startsWith("node:")).map((s) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!)));
    }
  }
  return { graph, packages };
}

/** Every import cycle, each once, as the list of files around it (first file repeated at the end). */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const id = [...cycle.slice(0, -1)].sort().join(" ");
        if (!seen.has(id)) {
          seen.add(id);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/** One line per import that breaks a layer rule. */
export function layerViolations(graph: ImportGraph, packages: Map<string, string[]>, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    for (const rule of rules) {
      if (!file.startsWith(rule.from)) continue;
      const targets = [...imports, ...(packages.get(file) ?? [])];
      for (const target of targets) {
        const hit = rule.forbidden.find((f) => (f.includes("/") || f.endsWith(".ts") ? target.startsWith(f) : target === f));
        if (hit) out.push(`${file} imports ${target}: ${rule.from} may not import ${hit} (${rule.why})`);
      }
    }
  }
  return out;
}
