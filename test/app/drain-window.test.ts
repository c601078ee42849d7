// The drain window with a load balancer that lags: after SIGTERM the real entry point (a child
// process) keeps accepting and serving, over REST and gRPC, while clients keep opening new
// connections for another second, as an NLB does while a target deregisters. Nothing may be
// refused, reset or answered 5xx; readiness fails at once; responses say Connection: close.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { createModelRepository } from "../support/models.js";
import { grpcClient, type V2Client } from "./grpc/client.js";

const MAIN = fileURLToPath(new URL("../../app/src/main.ts", import.meta.url));
const BODY = JSON.stringify({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] });

interface Outcome {
  ok: number;
  failures: string[];
  connectionClose: number;
}

/** One REST request on `agent` (a keep-alive pool, or none: a new connection each time). */
function post(port: number, agent: http.Agent | false): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/v2/models/adder/infer", method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(BODY);
  });
}

/** Clients that send back to back until `stop` resolves; every answer but a 200 is a failure. */
async function restLoad(port: number, clients: number, stop: Promise<unknown>, outcome: Outcome): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: clients });
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (!stopped) {
        try {
          const r = await post(port, c % 2 === 0 ? keepAlive : false);
          if (r.status === 200) outcome.ok++;
          else outcome.failures.push(`${r.status} ${r.body}`);
          if (r.connection === "close") outcome.connectionClose++;
        } catch (err) {
          outcome.failures.push((err as NodeJS.ErrnoException).code ?? String(err));
        }
      }
    }),
  );
  keepAlive.destroy();
}

/** gRPC clients: half keep one channel, half open a new channel per call. */
async function grpcLoad(address: string, clients: number, stop: Promise<unknown>, outcome: Outcome): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const message = { model_name: "adder", inputs: [{ name: "x", datatype: "FP32", shape: [1, 3] }], raw_input_contents: [Buffer.from(Float32Array.of(1, 2, 3).buffer)] };
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const shared = c % 2 === 0 ? grpcClient(address) : undefined;
      while (!stopped) {
        const client: V2Client = shared ?? grpcClient(address);
        try {
          await client.call("ModelInfer", message, { timeoutMs: 10_000 });
          outcome.ok++;
        } catch (err) {
          outcome.failures.push(`${(err as { code?: number }).code}: ${(err as Error).message}`);
        } finally {
          if (!shared) client.close();
        }
      }
      shared?.close();
    }),
  );
}

test("SIGTERM with clients still arriving for 1 s: REST and gRPC keep serving through the drain window in every process, nothing is lost", { timeout: 60_000 }, async () => {
  const repo = await createModelRepository({ models: ["adder"] });
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: "0", GRPC_PORT: "0", MODEL_REPOSITORY: repo.dir, CACHE_ENABLED: "false", ORT_INTRA_OP_THREADS: "1", WORKERS: "2", DRAIN_WINDOW_MS: "3000", SHUTDOWN_GRACE_MS: "20000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, any>[] = [];
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  const exited = once(proc, "exit");
  try {
    // Two server processes (WORKERS=2) share both ports; the load starts once both have loaded.
    while (lines.filter((l) => l.msg === "all models loaded; ready").length < 2) {
      if (proc.exitCode !== null) throw new Error(`server exited: ${JSON.stringify(lines)}`);
      await sleep(20);
    }
    const listening = lines.find((l) => l.msg === "listening")!;
    const port = listening.port as number;
    const grpcAddress = listening.grpcAddress as string;

    const rest: Outcome = { ok: 0, failures: [], connectionClose: 0 };
    const grpc: Outcome = { ok: 0, failures: [], connectionClose: 0 };
    let signalled!: () => void;
    const sigterm = new Promise<void>((r) => (signalled = r));
    // The load runs until 1 s after SIGTERM, as a lagging load balancer keeps routing.
    const stop = sigterm.then(() => sleep(1000));
    const loads = Promise.all([restLoad(port, 8, stop, rest), grpcLoad(grpcAddress, 8, stop, grpc)]);
    await sleep(300);
    proc.kill("SIGTERM");
    signalled();
    const atSigterm = { rest: rest.ok, grpc: grpc.ok };

    const sent = Date.now();
    let ready = 200;
    while (ready === 200 && Date.now() - sent < 1000) ready = (await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status;
    assert.equal(ready, 503, "readiness fails at once");
    await loads;

    assert.deepEqual(rest.failures, [], "REST: no refused or reset connection, no 5xx");
    assert.deepEqual(grpc.failures, [], "gRPC: every call answered");
    assert.ok(rest.ok > atSigterm.rest && grpc.ok > atSigterm.grpc, `answers after SIGTERM: ${rest.ok - atSigterm.rest} REST, ${grpc.ok - atSigterm.grpc} gRPC`);
    assert.ok(rest.connectionClose > 0, "responses during the drain carry Connection: close");
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^inference_drain_connections_total\{protocol="http",action="closed"\} [1-9]\d*$/m);
    assert.match(metrics, /^inference_drain_connections_total\{protocol="grpc",action="closed"\} [1-9]\d*$/m);

    const [code] = await exited;
    assert.equal(code, 0);
    assert.equal(lines.filter((l) => l.msg === "drained and closed").length, 2, "every process drained");
  } finally {
    proc.kill("SIGKILL");
    await repo.remove();
  }
});
