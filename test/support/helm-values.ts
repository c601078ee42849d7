// Checks Helm values against a chart's own defaults (../shared/charts/<chart>/values.yaml):
// Helm silently ignores a key the chart does not read, so a misspelt key is a
// setting that never took effect. Subcharts' keys are checked against the
// subchart's defaults; keys whose default is an empty map (or null) take any children,
// and keys the values file documents only as a commented example ("# adminPassword: x") count as known.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { sharedDir } from "./shared.js";

export interface ChartDefaults {
  version: string;
  values: Record<string, unknown>;
  /** Subchart defaults by the key they live under (dependency alias or name); null when the workplace lacks them. */
  subcharts: Map<string, ChartDefaults | null>;
  /** Keys that appear only in comments of values.yaml. */
  commented: Set<string>;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A chart's defaults from the shared charts directory, or undefined when it is not there. */
export function chartDefaults(chart: string): ChartDefaults | undefined {
  const dir = sharedDir("charts", chart);
  if (!dir || !existsSync(path.join(dir, "values.yaml"))) return undefined;
  const meta = parseYaml(readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as {
    version: string | number;
    dependencies?: { name: string; alias?: string }[];
  };
  const subcharts = new Map<string, ChartDefaults | null>();
  for (const dep of meta.dependencies ?? []) subcharts.set(dep.alias ?? dep.name, chartDefaults(dep.name) ?? null);
  const text = readFileSync(path.join(dir, "values.yaml"), "utf8");
  return {
    version: String(meta.version),
    values: (parseYaml(text) ?? {}) as Record<string, unknown>,
    subcharts,
    commented: new Set([...text.matchAll(/^\s*#+\s*([A-Za-z0-9_-]+):/gm)].map((m) => m[1] as string)),
  };
}

/** Key paths in `values` that the chart's defaults do not have. */
export function unknownValuePaths(values: Record<string, unknown>, chart: ChartDefaults, at = ""): string[] {
  return walk(values, chart.values, chart, at);
}

function walk(values: Record<string, unknown>, defaults: Record<string, unknown>, chart: ChartDefaults, at: string, top = true): string[] {
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const here = at ? `${at}.${key}` : key;
    if (key === "global") continue; // Helm's own, shared with every subchart
    if (top && chart.subcharts.has(key)) {
      const sub = chart.subcharts.get(key);
      if (sub && isMap(value)) {
        const merged = { ...sub.values, ...(isMap(defaults[key]) ? defaults[key] : {}) };
        unknown.push(...walk(value, merged, sub, here));
      }
      continue;
    }
    if (!(key in defaults)) {
      if (!chart.commented.has(key)) unknown.push(here);
      continue;
    }
    const d = defaults[key];
    // A container securityContext is a Kubernetes SecurityContext the chart passes through whole
    // (toYaml); its fields are Kubernetes', not the chart's (dcgm-exporter sets privileged there).
    if (key === "securityContext" && isMap(value)) continue;
    // An empty map or null default is a free-form slot (nodeSelector: {}, extraArgs: {}, ...).
    if (isMap(value) && isMap(d) && Object.keys(d).length > 0) unknown.push(...walk(value, d, chart, here, false));
  }
  return unknown;
}
