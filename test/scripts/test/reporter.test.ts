// The run's reporter ends with one line naming every skipped group and why: checked
// on a real `node --test` run of a small suite written to a temp dir.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../support/shared.js";
import { skipSummary } from "../../../scripts/test/reporter.js";

describe("test reporter", () => {
  it("ends the spec output with the skipped groups, tests and reasons", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "reporter-test-"));
    try {
      const file = path.join(dir, "sample.test.mjs");
      writeFileSync(
        file,
        [
          'import { describe, it } from "node:test";',
          'describe("needs redis", { skip: "redis-server is not installed" }, () => { it("a", () => {}); it("b", () => {}); });',
          'describe("runs", () => { it("passes", () => {}); it("tool check", (t) => t.skip("promtool is not installed")); });',
        ].join("\n"),
      );
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", "--test", `--test-reporter=${path.join(repoRoot, "scripts/test/reporter.ts")}`, file],
        // Without NODE_TEST_CONTEXT, or the inner run would report to this runner instead of its reporter.
        { cwd: repoRoot, encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      );
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trimEnd().split("\n");
      assert.match(run.stdout, /✔ passes/, "the spec output is kept");
      assert.equal(
        lines.at(-1),
        `Skipped 2: redis-server is not installed: "needs redis" (${path.relative(repoRoot, file)}); ` +
          `promtool is not installed: "tool check" (${path.relative(repoRoot, file)})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says so when nothing was skipped, and groups skips that share a reason", () => {
    assert.equal(skipSummary([]), "Skipped: nothing");
    assert.equal(
      skipSummary([
        { file: "a.test.ts", name: "x", reason: "no podman" },
        { file: "b.test.ts", name: "y", reason: "not root" },
        { file: "c.test.ts", name: "z", reason: "no podman" },
      ]),
      'Skipped 3: no podman: "x" (a.test.ts), "z" (c.test.ts); not root: "y" (b.test.ts)',
    );
  });
});
