// The smoke test against the real inference server (onnxruntime-node), started here on a free
// loopback port: it passes the bundled spam-classifier and a small BYTES test model, and fails a
// server whose model did not load and one that wants a token the smoke test lacks.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../app/src/config.js";
import { startApp, type RunningApp } from "../../app/src/app.js";
import { runSmoke, SMOKE_DEFAULTS, type SmokeOptions } from "../../scripts/smoke/smoke.js";
import { createModelRepository, type TestRepository } from "../support/models.js";

const BASE_ENV = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" };

async function serve(env: Record<string, string>): Promise<RunningApp> {
  const server = await startApp(loadConfig({ ...BASE_ENV, ...env }));
  await server.loaded;
  return server;
}

function options(server: RunningApp, over: Partial<SmokeOptions> = {}): SmokeOptions {
  // A generous budget: this checks the gate works, on a shared 2-core machine; CI's default is 1 s.
  return { ...SMOKE_DEFAULTS, baseUrl: server.url, burstRequests: 60, burstConnections: 4, maxP99Ms: 10_000, ...over };
}

describe("smoke test against the real server", () => {
  let bundled: RunningApp;
  let repo: TestRepository;
  let small: RunningApp;
  before(async () => {
    bundled = await serve({});
    repo = await createModelRepository({ models: ["lower"] });
    small = await serve({ MODEL_REPOSITORY: repo.dir });
  });
  after(async () => {
    await bundled.close();
    await small.close();
    await repo.remove();
  });

  it("passes the bundled spam-classifier: health, readiness, one inference and the burst", async () => {
    const report = await runSmoke(options(bundled));
    assert.equal(report.passed, true, report.failures.join("\n"));
    assert.deepEqual(report.checks.map((c) => c.name), ["v2/health/live", "v2/health/ready", "v2/models/spam-classifier/ready", "v2/models/spam-classifier", "infer", "burst"]);
    assert.equal(report.burst?.ok, 60);
  });

  it("passes a small BYTES model named on the command line", async () => {
    const report = await runSmoke(options(small, { model: "lower", inputName: "text", text: "HELLO" }));
    assert.equal(report.passed, true, report.failures.join("\n"));
  });

  it("fails when the model it asks for does not exist there, naming the checks", async () => {
    const report = await runSmoke(options(small, { burstRequests: 0 }));
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.checks.filter((c) => !c.passed).map((c) => c.name),
      ["v2/models/spam-classifier/ready", "v2/models/spam-classifier", "infer"],
    );
  });
});

describe("smoke test against a failing real server", () => {
  it("fails readiness when the model could not be loaded", async () => {
    const repo = await createModelRepository({ models: ["broken"] });
    const server = await serve({ MODEL_REPOSITORY: repo.dir });
    try {
      const report = await runSmoke(options(server, { model: "broken", burstRequests: 0 }));
      assert.equal(report.passed, false);
      assert.equal(report.checks.find((c) => c.name === "v2/health/live")?.passed, true, "the process is up");
      assert.equal(report.checks.find((c) => c.name === "v2/health/ready")?.passed, false);
    } finally {
      await server.close();
      await repo.remove();
    }
  });

  it("fails without the bearer token the endpoint requires, and passes with it", async () => {
    const server = await serve({ AUTH_TOKENS: "smoke-secret" });
    try {
      const without = await runSmoke(options(server, { burstRequests: 0 }));
      assert.equal(without.passed, false);
      assert.match(without.failures.join("\n"), /answered 401/);
      const withToken = await runSmoke(options(server, { burstRequests: 20, token: "smoke-secret" }));
      assert.equal(withToken.passed, true, withToken.failures.join("\n"));
    } finally {
      await server.close();
    }
  });
});
