// The real entry point as a child process: configuration errors, and SIGTERM under
// load (readiness fails at once, accepted requests finish, exit 0 inside the grace period).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { createModelRepository } from "../../support/models.js";

const MAIN = fileURLToPath(new URL("../../../app/src/main.ts", import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  /** Resolves once the child's stdout has ended (every log line is in `lines`). */
  drained: Promise<unknown>;
  /** Exit code, or the signal that ended the process. */
  exit: Promise<number | string>;
}

function spawnMain(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: "0", CACHE_ENABLED: "false", ORT_INTRA_OP_THREADS: "1", WORKERS: "1", DRAIN_WINDOW_MS: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child: Child = { proc, lines: [], stderr: [], exit: once(proc, "exit").then(([code, signal]) => (signal ? String(signal) : (code as number))), drained: once(proc.stdout!, "end") };
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const p of parts) if (p.trim()) child.lines.push(JSON.parse(p));
  });
  proc.stderr!.on("data", (chunk: Buffer) => child.stderr.push(chunk.toString()));
  return child;
}

async function logLine(child: Child, msg: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = child.lines.find((l) => l.msg === msg);
    if (line) return line;
    const ended = await Promise.race([child.drained.then(() => true), sleep(20, false)]);
    if (ended && !child.lines.some((l) => l.msg === msg)) throw new Error(`the child ended without a "${msg}" log line; got ${JSON.stringify(child.lines)} ${child.stderr.join("")}`);
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line; got ${JSON.stringify(child.lines)} ${child.stderr.join("")}`);
  }
}

/** The child's exit code; fails (with its log) if it has not exited within `ms`. */
async function exitCode(child: Child, ms = 20_000): Promise<number | string> {
  const timer = sleep(ms, "timeout" as const, { ref: false });
  const result = await Promise.race([child.exit, timer]);
  if (result === "timeout") throw new Error(`child still running after ${ms} ms; log: ${JSON.stringify(child.lines.slice(-10))}`);
  return result;
}

async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^inference_requests_in_flight (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** Waits until the child has accepted `n` requests that are not yet answered. */
async function untilInFlight(url: string, n: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await inFlight(url)) < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} requests in flight after ${ms} ms`);
    await sleep(5);
  }
}

const body = (k: number) => JSON.stringify({ inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [k, 0, 0, 0] }] });

test("a bad setting stops the process with exit 1 and one line naming the variable", { timeout: 30_000 }, async () => {
  const child = spawnMain({ PORT: "abc", MAX_QUEUE_SIZE: "0" });
  assert.equal(await exitCode(child), 1);
  assert.equal(child.stderr.join(""), 'invalid configuration: PORT must be an integer 0-65535, got "abc"; MAX_QUEUE_SIZE must be an integer 1-1000000, got "0"\n');
});

test("SIGTERM under load: readiness fails at once, every accepted request completes with 200, exit 0", { timeout: 30_000 }, async () => {
  // A 2 s batch window keeps all six requests queued while the drain starts; they must still run.
  const repo = await createModelRepository({ models: ["slow"], slow: { size: 1024, layers: 4 }, configs: { slow: { maxBatchSize: 8, maxQueueDelayMs: 2000 } } });
  const child = spawnMain({ MODEL_REPOSITORY: repo.dir, SHUTDOWN_GRACE_MS: "30000" });
  try {
    await logLine(child, "all models loaded; ready");
    const url = (await logLine(child, "listening")).url as string;
    assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);

    const N = 6;
    const answers = Array.from({ length: N }, (_, k) =>
      fetch(`${url}/v2/models/slow/infer`, { method: "POST", body: body(k), headers: { "content-type": "application/json" } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { outputs?: { data: number[] }[] },
      })),
    );
    // Collected at the end; a failure before then must not surface as an unhandled rejection.
    for (const a of answers) a.catch(() => undefined);
    // SIGTERM once all of them are accepted (queued, waiting for batch companions).
    await untilInFlight(url, N);
    child.proc.kill("SIGTERM");

    // The signal is delivered asynchronously: readiness must flip within moments, while the queue still waits.
    const signalled = Date.now();
    let ready = await fetch(`${url}/v2/health/ready`);
    while (ready.status === 200 && Date.now() - signalled < 1000) ready = await fetch(`${url}/v2/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false });
    assert.ok((await inFlight(url)) >= N, "readiness failed while the accepted requests were still queued");
    const late = await fetch(`${url}/v2/models/slow/infer`, { method: "POST", body: body(99) });
    assert.equal(late.status, 503);
    assert.deepEqual(await late.json(), { error: "server is shutting down" });
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^inference_requests_rejected_total\{model="slow",reason="draining"\} 1$/m);

    const results = await Promise.all(answers);
    results.forEach((r, k) => {
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.outputs![0]!.data, [k + 1, 1, 1, 1]);
    });
    assert.equal(await exitCode(child), 0);
    assert.ok(child.lines.some((l) => l.msg === "drained and closed"));
  } finally {
    child.proc.kill("SIGKILL");
    await repo.remove();
  }
});

test("when the grace period runs out the process logs it and ends itself with SIGKILL", { timeout: 30_000 }, async () => {
  // Slow runs one after another: far more work than the 50 ms grace period allows.
  const repo = await createModelRepository({ models: ["slow"], slow: { size: 1024, layers: 8 }, configs: { slow: { maxBatchSize: 1, maxQueueDelayMs: 0 } } });
  const child = spawnMain({ MODEL_REPOSITORY: repo.dir, SHUTDOWN_GRACE_MS: "50" });
  try {
    await logLine(child, "all models loaded; ready");
    const url = (await logLine(child, "listening")).url as string;
    const pending = Array.from({ length: 6 }, (_, k) => fetch(`${url}/v2/models/slow/infer`, { method: "POST", body: body(k) }).catch(() => undefined));
    // Admission lets two in (two batches of one row); the other four wait in line, bodies unread.
    await untilInFlight(url, 2);
    child.proc.kill("SIGTERM");
    assert.equal(await exitCode(child), "SIGKILL");
    const line = await logLine(child, "shutdown grace period exceeded; exiting with unfinished work");
    assert.equal(line.level, 50);
    await Promise.all(pending);
  } finally {
    child.proc.kill("SIGKILL");
    await repo.remove();
  }
});
