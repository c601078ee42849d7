// Waiting for a new endpoint: probes until ready, gives up at the deadline, never sleeps past it,
// and stops at once on an answer no wait can change (a certificate for another name).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { interpretReadiness, probeReadiness, waitUntilReady, type ProbeResult } from "../../../scripts/smoke/readiness.js";

/** A fake clock: sleep advances it, so a 15-minute wait runs in microseconds. */
function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

function probes(...answers: ProbeResult[]) {
  let i = 0;
  return async () => answers[Math.min(i++, answers.length - 1)]!;
}

const notYet = (detail: string): ProbeResult => ({ ready: false, detail });

describe("waiting for readiness", () => {
  it("keeps probing through DNS, connection and 503 answers until the endpoint is ready", async () => {
    const c = clock();
    const outcome = await waitUntilReady(probes(notYet("ENOTFOUND"), notYet("ECONNREFUSED"), notYet("answered 503"), { ready: true, detail: "200" }), {
      deadlineMs: 600_000,
      intervalMs: 10_000,
      ...c,
    });
    assert.deepEqual(outcome, { ready: true, attempts: 4, waitedMs: 30_000, detail: "200" });
  });

  it("gives up at the deadline with the last reason, never sleeping past it", async () => {
    const c = clock();
    const outcome = await waitUntilReady(probes(notYet("answered 503")), { deadlineMs: 25_000, intervalMs: 10_000, ...c });
    assert.deepEqual(outcome, { ready: false, attempts: 4, waitedMs: 25_000, detail: "answered 503" });
    assert.deepEqual(c.sleeps, [10_000, 10_000, 5_000]);
  });

  it("probes exactly once with no deadline", async () => {
    const c = clock();
    assert.deepEqual(await waitUntilReady(probes(notYet("answered 503")), { deadlineMs: 0, intervalMs: 10_000, ...c }), {
      ready: false,
      attempts: 1,
      waitedMs: 0,
      detail: "answered 503",
    });
  });

  it("stops at once on a certificate for another name", async () => {
    const c = clock();
    const fatal = interpretReadiness({ error: Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }) }) });
    assert.equal(fatal.fatal, true);
    assert.match(fatal.detail, /^TLS: Hostname\/IP does not match/);
    const outcome = await waitUntilReady(probes(fatal, { ready: true, detail: "200" }), { deadlineMs: 600_000, intervalMs: 10_000, ...c });
    assert.equal(outcome.ready, false);
    assert.equal(outcome.attempts, 1);
  });

  it("reads answers: 200 ready, 503 and unreachable not yet", () => {
    assert.deepEqual(interpretReadiness({ status: 200 }), { ready: true, detail: "200" });
    assert.deepEqual(interpretReadiness({ status: 503 }), { ready: false, detail: "answered 503" });
    const refused = interpretReadiness({ error: Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) }) });
    assert.deepEqual(refused, { ready: false, detail: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1" });
  });

  it("probes a real endpoint that turns ready after two 503s", async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      res.statusCode = req.url === "/v2/health/ready" && calls > 2 ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const outcome = await waitUntilReady(() => probeReadiness(url, 2000), { deadlineMs: 5000, intervalMs: 10 });
      assert.equal(outcome.ready, true);
      assert.equal(outcome.attempts, 3);
    } finally {
      server.close();
    }
  });
});
