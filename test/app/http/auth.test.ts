// Optional bearer-token auth: probes and scrapes stay open, everything else needs a token.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["adder"] }, { AUTH_TOKENS: "alpha-token,beta-token" });
});
after(() => s.stop());

const body = JSON.stringify({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] });

test("health probes and /metrics answer without a token", async () => {
  for (const path of ["/v2/health/live", "/v2/health/ready", "/metrics"]) {
    assert.equal((await fetch(s.url + path)).status, 200, path);
  }
});

test("metadata and inference without a token get 401 with a JSON error and a Bearer challenge", async () => {
  for (const [method, path] of [["GET", "/v2"], ["GET", "/v2/models/adder"], ["GET", "/v2/models/adder/ready"], ["POST", "/v2/models/adder/infer"]] as const) {
    const res = await fetch(s.url + path, { method, ...(method === "POST" ? { body } : {}) });
    assert.equal(res.status, 401, path);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
    assert.deepEqual(await res.json(), { error: "missing bearer token: send Authorization: Bearer <token>" });
  }
});

test("a wrong token or scheme gets 401", async () => {
  for (const authorization of ["Bearer alpha-toke", "Bearer alpha-token-x", "Basic YWxwaGE6dG9rZW4=", "alpha-token"]) {
    const res = await fetch(`${s.url}/v2/models/adder/infer`, { method: "POST", body, headers: { authorization } });
    assert.equal(res.status, 401, authorization);
  }
});

test("any configured token is accepted", async () => {
  for (const token of ["alpha-token", "beta-token"]) {
    const res = await fetch(`${s.url}/v2/models/adder/infer`, { method: "POST", body, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, token);
  }
  assert.equal((await fetch(`${s.url}/v2`, { headers: { authorization: "bearer beta-token" } })).status, 200);
});
