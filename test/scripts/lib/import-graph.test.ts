import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findCycles, layerViolations, readImportGraph } from "../../../scripts/lib/import-graph.js";

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "imports-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("import graph", () => {
  it("finds a two-file cycle, once, through .js specifiers", () => {
    const root = tree({
      "app/src/protocol/a.ts": 'import { b } from "./b.js";\nexport const a = 1;',
      "app/src/protocol/b.ts": 'import { a } from "./a.js";\nexport const b = 2;',
      "app/src/protocol/c.ts": 'import { a } from "./a.js";',
    });
    const { graph } = readImportGraph(root, ["app/src"]);
    assert.deepEqual(findCycles(graph), [["app/src/protocol/a.ts", "app/src/protocol/b.ts", "app/src/protocol/a.ts"]]);
  });

  it("flags the core importing a front door or express, and infra importing scripts", () => {
    const root = tree({
      "app/src/core/runner.ts": 'import { x } from "../http/app.js";\nimport express from "express";',
      "app/src/http/app.ts": 'import { r } from "../core/runner.js";',
      "infra/releases.ts": 'import { h } from "../scripts/release/history.js";',
      "scripts/release/history.ts": "export const h = 1;",
    });
    const { graph, packages } = readImportGraph(root, ["app/src", "infra", "scripts"]);
    const found = layerViolations(graph, packages).map((l) => l.split(":")[0]);
    assert.deepEqual(found.sort(), [
      "app/src/core/runner.ts imports app/src/http/app.ts",
      "app/src/core/runner.ts imports express",
      "infra/releases.ts imports scripts/release/history.ts",
    ]);
  });

  it("allows the front doors to import the core and infra to import the app's metric names", () => {
    const root = tree({
      "app/src/http/app.ts": 'import { r } from "../core/runner.js";',
      "app/src/core/runner.ts": "export const r = 1;",
      "app/src/observability/metric-names.ts": "export const M = {};",
      "infra/promql.ts": 'import { M } from "../app/src/observability/metric-names.js";',
    });
    const { graph, packages } = readImportGraph(root, ["app/src", "infra"]);
    assert.deepEqual(layerViolations(graph, packages), []);
    assert.deepEqual(findCycles(graph), []);
  });

  it("holds for this repository", () => {
    const root = path.resolve(import.meta.dirname, "../../..");
    const { graph, packages } = readImportGraph(root, ["app/src", "infra", "scripts", "policy", "test"]);
    assert.ok(graph.has("app/src/app.ts"), "reads the real tree");
    assert.deepEqual([...findCycles(graph), ...layerViolations(graph, packages)], []);
  });
});
