// WORKERS=2: the real entry point forks two server processes that share the port; the pod
// stays one unit: one readiness, one scrape with every process counted, one drain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../scripts/lib/free-port.js";
import { createModelRepository } from "../../support/models.js";

const MAIN = fileURLToPath(new URL("../../../app/src/main.ts", import.meta.url));
const body = (k: number) => JSON.stringify({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [k, 0, 0] }] });
const sample = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

test("two processes share the port; every scrape counts both; SIGTERM drains both and exits 0", { timeout: 120_000 }, async () => {
  const repo = await createModelRepository({ models: ["adder"] });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: String(port), MODEL_REPOSITORY: repo.dir, CACHE_ENABLED: "false", LOG_LEVEL: "info", WORKERS: "2" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = once(proc, "exit");
  let log = "";
  proc.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  try {
    const deadline = Date.now() + 90_000;
    while (!(await fetch(`${url}/v2/health/ready`, { headers: { connection: "close" } }).then((r) => r.ok, () => false))) {
      assert.ok(Date.now() < deadline, `not ready within 90 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Readiness is answered only once both processes are ready.
    assert.match(log, /"workers":2,"msg":"every server process is ready"/);
    const pids = new Set(log.split("\n").filter((l) => l.includes('"msg":"listening"')).map((l) => JSON.parse(l).pid as number));
    assert.equal(pids.size, 2, "two processes listen");

    // New connections each: the primary hands them to the processes in turn.
    const requests = 8;
    for (let k = 0; k < requests; k++) {
      const res = await fetch(`${url}/v2/models/adder/infer`, { method: "POST", headers: { "content-type": "application/json", connection: "close" }, body: body(k) });
      assert.equal(res.status, 200);
    }
    const served = new Set(log.split("\n").filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l).pid as number));
    assert.equal(served.size, 2, "both processes served requests");
    // Whichever process answers a scrape, it reports the pod: both processes' requests, one ready gauge.
    for (let scrape = 0; scrape < 4; scrape++) {
      const text = await (await fetch(`${url}/metrics`, { headers: { connection: "close" } })).text();
      assert.equal(sample(text, 'inference_request_duration_seconds_count\\{model="adder",status="200",protocol="http"\\}'), requests);
      assert.equal(sample(text, 'inference_model_ready\\{model="adder",version="1"\\}'), 1);
    }

    proc.kill("SIGTERM");
    const [code] = await exit;
    assert.equal(code, 0, log);
    assert.equal(log.match(/"msg":"drained and closed"/g)?.length, 2, "both processes drained");
  } finally {
    proc.kill("SIGKILL");
    await repo.remove();
  }
});
