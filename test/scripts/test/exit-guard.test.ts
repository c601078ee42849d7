// A test file that finishes but leaves a handle open fails the run with the handle named,
// while clean files beside it keep every verdict: checked on a real `node --test` run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../support/shared.js";
import { lingeringMessage } from "../../../scripts/test/exit-guard.js";

describe("test exit guard", () => {
  it("fails a file that leaks a server, after its grace, and keeps the other file's passes", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "exit-guard-test-"));
    try {
      writeFileSync(
        path.join(dir, "leak.test.mjs"),
        'import { it } from "node:test"; import { createServer } from "node:net";\n' +
          'it("passes but leaks a server", () => { createServer().listen(0, "127.0.0.1"); });\n',
      );
      writeFileSync(
        path.join(dir, "clean.test.mjs"),
        'import { it } from "node:test";\nfor (let i = 0; i < 40; i++) it(`clean ${i}`, () => {});\n',
      );
      const started = Date.now();
      const run = spawnSync(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), "--import", path.join(repoRoot, "scripts/test/exit-guard.ts"), "--test", "leak.test.mjs", "clean.test.mjs"],
        {
          cwd: dir,
          encoding: "utf8",
          timeout: 60_000,
          // Without NODE_TEST_CONTEXT, or the inner run would report to this runner.
          env: { ...process.env, NODE_TEST_CONTEXT: undefined, TEST_EXIT_GRACE_MS: "1000" },
        },
      );
      const output = run.stdout + run.stderr;
      assert.equal(run.status, 1, output);
      assert.ok(Date.now() - started < 30_000, "the leaking file is stopped after its grace, not left to hang");
      assert.match(output, /leak\.test\.mjs: every test finished 1 s ago but the process is still alive, held by .*TCPServerWrap/);
      assert.match(output, /ℹ pass 41/, "the leaking file's own test and all 40 clean ones passed");
      assert.match(output, /ℹ fail 1/, "the leaking file counts as one failure");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names what holds the process and what to close", () => {
    assert.equal(
      lingeringMessage("a.test.ts", 30, ["TCPServerWrap", "Timeout"]),
      "a.test.ts: every test finished 30 s ago but the process is still alive, held by TCPServerWrap, Timeout; " +
        "close what the tests opened (servers, sockets, child processes, timers)",
    );
    assert.match(lingeringMessage("a.test.ts", 30, []), /held by nothing node reports/);
  });
});
