// The configuration reference in docs/infra.md names every key the schema accepts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { STACK_CONFIG_SCHEMA } from "../../infra/config.js";
import { REPO_ROOT } from "../support/pulumi-program.js";

/** Documented elsewhere (docs/observability.md) or spelt differently in the table. */
const ELSEWHERE = new Set(["cache", "monitoring", "autoscaling", "region"]);

function keyPaths(schema: z.ZodType, at: string): string[] {
  if (schema instanceof z.ZodOptional) return keyPaths(schema.unwrap() as z.ZodType, at);
  if (schema instanceof z.ZodArray) return schema.element instanceof z.ZodObject ? keyPaths(schema.element, `${at}[]`) : [at];
  if (schema instanceof z.ZodObject) {
    const nested = Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, s]) =>
      keyPaths(s, at ? `${at}.${k}` : k),
    );
    return nested.length > 0 ? nested : [at];
  }
  return [at];
}

describe("configuration reference", () => {
  it("documents every key of the stack configuration", () => {
    const docs = readFileSync(path.join(REPO_ROOT, "docs/infra.md"), "utf8");
    const keys = keyPaths(STACK_CONFIG_SCHEMA, "").filter((k) => !ELSEWHERE.has(k.split(/[.[]/)[0] ?? k));
    assert.ok(keys.includes("gpuPools[].instanceFamilies") && keys.includes("app.pools"), "the walk reaches nested keys");
    assert.deepEqual(keys.filter((k) => !docs.includes(`\`${k}\``)), []);
    assert.ok(docs.includes("`aws:region`"));
  });
});
