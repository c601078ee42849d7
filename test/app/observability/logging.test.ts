// Structured logs: one JSON access line per request, carrying the request id it answered with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventEmitter } from "node:events";
import { pino } from "pino";
import { createLogger, drainLogs } from "../../../app/src/observability/logger.js";
import { capturingLogger, infer, startTestServer } from "../support.js";

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

test("drainLogs resolves only once every line logged so far is on disk (a forced exit loses none)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "drain-logs-"));
  const file = join(dir, "log.jsonl");
  try {
    // The same asynchronous destination the server uses on stdout, on a file here.
    const logger = createLogger("info", pino.destination({ dest: file, sync: false, mkdir: true }));
    for (let k = 0; k < 200; k++) logger.info({ k }, "line");
    logger.error("last words");
    await drainLogs(logger, 5_000);
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 201);
    assert.equal(lines.at(-1).msg, "last words");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("drainLogs gives up after its limit when the destination never drains", async () => {
  const stuck = Object.assign(new EventEmitter(), { write: () => true });
  const logger = createLogger("info", stuck);
  logger.error("cannot be written");
  const started = Date.now();
  await drainLogs(logger, 100);
  assert.ok(Date.now() - started >= 90, "waited for the limit, not forever and not zero");
});
