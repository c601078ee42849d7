// The gRPC door goes through the same admission control as REST: past a model's limit a call is
// refused with UNAVAILABLE and a retry-after hint, counted like a REST refusal; admitted calls complete.
import { test } from "node:test";
import assert from "node:assert/strict";
import { status, type ServiceError } from "@grpc/grpc-js";
import { metricValue, startTestServer } from "../support.js";
import { grpcClient } from "./client.js";

const adderCall = (k: number) => ({
  model_name: "adder",
  inputs: [{ name: "x", datatype: "FP32", shape: [1, 3] }],
  raw_input_contents: [Buffer.from(Float32Array.of(k, 0, 0).buffer)],
});

test("past the admission limit with no waiting allowed, gRPC calls are refused with UNAVAILABLE and retry-after; admitted ones complete", async () => {
  // A long queue delay holds the two admitted calls (maxQueueSize 2), so the limit is reached deterministically.
  const s = await startTestServer(
    { models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueSize: 2, maxQueueDelayMs: 300 } } },
    { GRPC_PORT: "0", ADMISSION_MAX_WAIT_MS: "0" },
  );
  const client = grpcClient(s.server.grpcAddress!);
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, k) =>
        client.call("ModelInfer", adderCall(k)).then(
          () => ({ ok: true as const }),
          (err: ServiceError) => ({ ok: false as const, err }),
        ),
      ),
    );
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.err]));
    assert.equal(outcomes.length - refused.length, 2, "the two calls within the limit are served");
    assert.equal(refused.length, 4);
    for (const err of refused) {
      assert.equal(err.code, status.UNAVAILABLE);
      assert.equal(err.details, 'model "adder" is overloaded: too many requests are waiting; retry after 1 s');
      assert.deepEqual(err.metadata.get("retry-after"), ["1"]);
    }
    assert.equal(await metricValue(s.url, 'inference_requests_rejected_total{model="adder",reason="waiting_full"}'), 4);
    // The slots were given back: a later call is admitted.
    assert.equal((await client.call("ModelInfer", adderCall(9))).model_name, "adder");
  } finally {
    client.close();
    await s.stop();
  }
});
