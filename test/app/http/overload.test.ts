// The compiled server in a child process under a bounded overload: a few hundred closed-loop
// clients on loopback for a few seconds against a model whose admission limit is 16. It must
// keep answering successfully throughout, refuse only with 503 + Retry-After, and be ready after.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileApp, startServerProcess } from "../../../scripts/bench/processes.js";
import { createModelRepository } from "../../support/models.js";
import { metricValue } from "../support.js";

const CLIENTS = 300;
const SECONDS = 4;
const BODY = JSON.stringify({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] });

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

function post(agent: Agent, url: URL): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] }));
    });
    req.on("error", reject);
    req.end(BODY);
  });
}

test("under 300 closed-loop clients against a limit of 16, requests succeed in every second, every refusal is a 503 with Retry-After, and the server stays ready", async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "overload-test-"));
  const repo = await createModelRepository({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueSize: 16, maxQueueDelayMs: 2 } } });
  // A short line and wait, so that both kinds of refusal happen within the run.
  const server = await startServerProcess(compileApp(tmp), { MODEL_REPOSITORY: repo.dir, CACHE_ENABLED: "false", ADMISSION_MAX_WAITING: "100", ADMISSION_MAX_WAIT_MS: "200" });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    const url = new URL(`${server.url}/v2/models/adder/infer`);
    const okPerSecond = new Array<number>(SECONDS).fill(0);
    const refusals: Answer[] = [];
    const others: string[] = [];
    const send = async (): Promise<number> => {
      const answer = await post(agent, url).catch((err: Error) => ({ status: 0, retryAfter: err.message }));
      if (answer.status === 503) refusals.push(answer);
      else if (answer.status !== 200) others.push(`${answer.status} ${answer.retryAfter ?? ""}`);
      return answer.status;
    };
    // Every client connects and gets one answer first, so the timed run measures the steady overload, not 300 handshakes.
    await Promise.all(Array.from({ length: CLIENTS }, send));
    const started = performance.now();
    const second = () => Math.floor((performance.now() - started) / 1000);
    const client = async () => {
      while (second() < SECONDS) {
        if ((await send()) === 200 && second() < SECONDS) okPerSecond[second()]!++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));

    assert.deepEqual(others, [], "nothing but 200 and 503");
    assert.ok(okPerSecond.every((n) => n > 0), `successes in every second: ${okPerSecond.join(", ")}`);
    assert.ok(refusals.length > 0, "the load was past the limit: some requests were refused");
    assert.deepEqual(refusals.filter((r) => r.retryAfter !== "1"), [], "every 503 carries Retry-After: 1");
    const shed = async (reason: string) => metricValue(server.url, `inference_requests_rejected_total{model="adder",reason="${reason}"}`);
    assert.equal((await shed("waiting_full")) + (await shed("wait_timeout")), refusals.length, "every refusal is counted by its reason");
    assert.equal(await shed("queue_full"), 0, "admission kept the batch queue from overflowing");

    const ready = await fetch(`${server.url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    const after = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    assert.equal(after.status, 200);
    assert.deepEqual(((await after.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [11, 22, 38], "version 2 adds [10, 20, 35]");
  } finally {
    agent.destroy();
    await server.stop();
    await repo.remove();
    rmSync(tmp, { recursive: true, force: true });
  }
});
