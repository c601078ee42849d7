import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { load } from "../../../scripts/bench/load.js";
import { startBareProcess } from "../../../scripts/bench/processes.js";

describe("bench load", () => {
  it("rotates the bodies across all connections, so concurrent requests differ", async () => {
    const seen: string[] = [];
    let inFlight = new Set<string>();
    let concurrentDuplicates = 0;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        if (inFlight.has(body)) concurrentDuplicates++;
        inFlight.add(body);
        seen.push(body);
        setTimeout(() => {
          inFlight.delete(body);
          res.end("{}");
        }, 2);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const bodies = Array.from({ length: 16 }, (_, i) => JSON.stringify({ i }));
      const result = await load(`http://127.0.0.1:${port}/`, bodies, 4, 0.5);
      assert.ok(result.total > 8, `made ${result.total} requests`);
      assert.equal(result.failures, 0);
      assert.deepEqual(new Set(seen), new Set(bodies), "every body was sent");
      assert.equal(concurrentDuplicates, 0, "no two in-flight requests carried the same body");
      assert.ok(result.p99Ms >= result.p50Ms && result.requestsPerSecond > 0);
    } finally {
      inFlight = new Set();
      server.close();
    }
  });

  it("sends binary bodies byte for byte, with the given headers", async () => {
    const received: { header: string | undefined; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received.push({ header: req.headers["inference-header-content-length"] as string | undefined, body: Buffer.concat(chunks) });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const bodies = [Buffer.from([0, 255, 1]), Buffer.from([128, 0])];
      const result = await load(`http://127.0.0.1:${port}/`, bodies, 2, 0.3, { "inference-header-content-length": "1" });
      assert.equal(result.failures, 0);
      assert.ok(received.length > 2);
      assert.ok(received.every((r) => r.header === "1" && bodies.some((b) => b.equals(r.body))), "every request carried one of the bodies, unaltered");
    } finally {
      server.close();
    }
  });

  it("starts the bare Express endpoint in its own process and answers the fixed body", async () => {
    const bare = await startBareProcess('{"fixed":true}');
    try {
      assert.ok(bare.readyMs > 0);
      const res = await fetch(`${bare.url}/infer`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { fixed: true });
      assert.ok(bare.peakRss() > 10 * 1024 * 1024, "reads the child's peak RSS");
    } finally {
      await bare.stop();
    }
  });
});
