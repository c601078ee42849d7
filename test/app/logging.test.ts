// Structured logs: one JSON access line per request, carrying the request id it answered with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { capturingLogger, infer, startTestServer } from "./support.js";

test("each request logs method, path, status and duration under its request id", async () => {
  const { logger, lines } = capturingLogger();
  const s = await startTestServer({ models: ["adder"] }, {}, { logger });
  try {
    const ok = await infer(s, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] }, { "x-request-id": "order-7" });
    assert.equal(ok.headers.get("x-request-id"), "order-7");
    const bad = await infer(s, "adder", { inputs: [] });
    const badId = bad.headers.get("x-request-id");
    const access = lines.filter((l) => l.msg === "request");
    const okLine = access.find((l) => l.reqId === "order-7");
    assert.ok(okLine, "an access line with the given id");
    assert.equal(okLine.method, "POST");
    assert.equal(okLine.path, "/v2/models/adder/infer");
    assert.equal(okLine.status, 200);
    assert.equal(typeof okLine.ms, "number");
    assert.equal(okLine.level, 30);
    const badLine = access.find((l) => l.reqId === badId);
    assert.equal(badLine?.status, 400);
  } finally {
    await s.stop();
  }
});

test("startup logs where the server listens and each model's provider", async () => {
  const { logger, lines } = capturingLogger();
  const s = await startTestServer({ models: ["adder"] }, {}, { logger });
  try {
    const listening = lines.find((l) => l.msg === "listening");
    assert.equal(listening?.url, s.url);
    assert.equal(listening?.provider, "cpu");
    const loaded = lines.filter((l) => l.msg === "model loaded and warmed on cpu").map((l) => `${l.model}/${l.version}`);
    assert.deepEqual(loaded.sort(), ["adder/1", "adder/2"]);
    assert.ok(lines.some((l) => l.msg === "all models loaded; ready"));
  } finally {
    await s.stop();
  }
});
