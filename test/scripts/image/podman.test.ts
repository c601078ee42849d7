// Running the image tools' commands: a child that exits without reading its input must not
// crash the test process (EPIPE on its stdin), whatever the timing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../../scripts/image/podman.js";

test("a command that exits without reading its input resolves with its status; the closed pipe is no uncaught error", async () => {
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  process.on("uncaughtException", record);
  try {
    // 8 MiB does not fit a pipe's buffer, so the write is still going when `true` exits.
    const input = "x".repeat(8 * 1024 * 1024);
    for (let i = 0; i < 5; i++) {
      const result = await run("true", [], { input });
      assert.equal(result.status, 0);
    }
    const failing = await run("sh", ["-c", "exit 3"], { input });
    assert.equal(failing.status, 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(uncaught, []);
  } finally {
    process.off("uncaughtException", record);
  }
});

test("input reaches a command that reads it", async () => {
  const result = await run("cat", [], { input: "hello" });
  assert.deepEqual([result.status, result.stdout], [0, "hello"]);
});
