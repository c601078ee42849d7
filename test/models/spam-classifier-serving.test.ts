// The documented curl example, sent to the real server serving the bundled model
// repository, gets the documented answer; and the model's config.json is applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { loadConfig } from "../../app/src/config.js";
import { startApp } from "../../app/src/app.js";

const docs = await readFile(new URL("../../docs/model.md", import.meta.url), "utf8");

interface InferResponse {
  model_name: string;
  outputs: { name: string; datatype: string; shape: number[]; data: (number | string)[] }[];
}

test("docs/model.md's curl example returns the response the docs show", async () => {
  const curl = /curl -s localhost:8080(\S+) -H 'content-type: application\/json' -d '([^']+)'/.exec(docs);
  const shown = /```json\n(.+)\n```/.exec(docs);
  assert.ok(curl && shown, "docs/model.md has a curl example followed by its JSON response");
  const [, route, body] = curl;
  const expected = JSON.parse(shown[1]!) as InferResponse;

  const server = await startApp(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", CACHE_ENABLED: "false" }));
  try {
    await server.loaded;
    assert.equal(server.ready, true);
    const res = await fetch(`${server.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    const got = (await res.json()) as InferResponse;
    assert.equal(got.model_name, expected.model_name);
    assert.deepEqual(got.outputs.map((o) => [o.name, o.datatype, o.shape]), expected.outputs.map((o) => [o.name, o.datatype, o.shape]));
    const label = (r: InferResponse) => r.outputs.find((o) => o.name === "label")!.data;
    assert.deepEqual(label(got), label(expected));
    const probs = (r: InferResponse) => r.outputs.find((o) => o.name === "probabilities")!.data as number[];
    probs(got).forEach((p, i) => assert.ok(Math.abs(p - probs(expected)[i]!) < 1e-6, `probability ${i}: ${p} vs documented ${probs(expected)[i]}`));

    // the per-model limits from app/models/spam-classifier/config.json are in force
    assert.deepEqual(server.repository.version("spam-classifier").limits, { maxBatchSize: 8, maxQueueDelayMs: 0, maxQueueSize: 512 });
    // a light model: its batches run on the event loop, without a thread hand-off
    assert.equal(server.repository.version("spam-classifier").executor, "event-loop");
  } finally {
    await server.close();
  }
});
