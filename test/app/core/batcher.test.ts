import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Batcher, DeadlineExceededError, QueueFullError, type BatcherLimits } from "../../../app/src/core/batcher.js";

/** A batcher whose executor records every batch it sees and answers each payload with its double. */
function recording(limits: Partial<BatcherLimits> = {}, delayMs = 0) {
  const batches: number[][] = [];
  const events = { dispatched: [] as number[], rejected: [] as string[], depth: [] as number[] };
  const batcher = new Batcher<number, number>(
    { maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100, ...limits },
    async (payloads) => {
      batches.push(payloads);
      if (delayMs > 0) await sleep(delayMs);
      return payloads.map((p) => p * 2);
    },
    {
      dispatch: (_waited, rows) => events.dispatched.push(rows),
      rejected: (reason) => events.rejected.push(reason),
      depth: (n) => events.depth.push(n),
    },
  );
  return { batcher, batches, events };
}

const soon = () => Date.now() + 5_000;

test("jobs with equal keys that arrive within the delay run as one batch, each getting its own result", async () => {
  const { batcher, batches, events } = recording();
  const results = await Promise.all([1, 2, 3].map((p) => batcher.submit(p, { rows: 2, key: "k", deadline: soon() })));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(batches, [[1, 2, 3]]);
  assert.deepEqual(events.dispatched, [6]);
});

test("a full batch runs at once, without waiting for the delay", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 4, maxQueueDelayMs: 10_000 });
  const started = Date.now();
  await Promise.all([1, 2].map((p) => batcher.submit(p, { rows: 2, key: "k", deadline: soon() })));
  assert.ok(Date.now() - started < 5_000, "should not have waited for the 10 s delay");
  assert.deepEqual(batches, [[1, 2]]);
});

test("a job that can never batch (no key) runs at once, without waiting for the delay", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 4, maxQueueDelayMs: 10_000 });
  const settled: string[] = [];
  const job = batcher.submit(1, { rows: 1, key: undefined, deadline: soon() }).then(() => settled.push("job"));
  await Promise.race([job, sleep(1_000).then(() => settled.push("1 s passed"))]);
  assert.deepEqual(settled, ["job"], "ran before 1 s of a 10 s delay had passed");
  assert.deepEqual(batches, [[1]]);
});

test("with no delay a lone job runs at once, and the jobs that arrive during its run form the next batch", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 8, maxQueueDelayMs: 0 }, 50);
  const first = batcher.submit(1, { rows: 1, key: "k", deadline: soon() }); // running from here on
  const later = [2, 3, 4].map((p) => batcher.submit(p, { rows: 1, key: "k", deadline: soon() }));
  assert.deepEqual(await Promise.all([first, ...later]), [2, 4, 6, 8]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test("rows never exceed maxBatchSize; the rest runs in the next batch", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 5 });
  await Promise.all([1, 2, 3, 4].map((p) => batcher.submit(p, { rows: 2, key: "k", deadline: soon() })));
  assert.deepEqual(batches, [[1, 2], [3, 4]]);
});

test("a single job larger than maxBatchSize still runs, alone", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 2 });
  assert.equal(await batcher.submit(7, { rows: 10, key: "k", deadline: soon() }), 14);
  assert.deepEqual(batches, [[7]]);
});

test("different keys, and jobs without a key, are never batched together", async () => {
  const { batcher, batches } = recording();
  await Promise.all([
    batcher.submit(1, { rows: 1, key: "a", deadline: soon() }),
    batcher.submit(2, { rows: 1, key: "b", deadline: soon() }),
    batcher.submit(3, { rows: 1, key: "a", deadline: soon() }),
    batcher.submit(4, { rows: 1, key: undefined, deadline: soon() }),
    batcher.submit(5, { rows: 1, key: undefined, deadline: soon() }),
  ]);
  assert.deepEqual(batches, [[1, 3], [2], [4], [5]]);
});

test("past maxQueueSize new jobs are refused with QueueFullError while queued ones still complete", async () => {
  const { batcher, events } = recording({ maxQueueSize: 2, maxBatchSize: 1, maxQueueDelayMs: 0 }, 50);
  const first = batcher.submit(1, { rows: 1, key: "k", deadline: soon() });
  await sleep(5); // job 1 is now executing, so it no longer counts against the queue
  const queued = [batcher.submit(2, { rows: 1, key: "k", deadline: soon() }), batcher.submit(3, { rows: 1, key: "k", deadline: soon() })];
  await assert.rejects(batcher.submit(4, { rows: 1, key: "k", deadline: soon() }), QueueFullError);
  assert.deepEqual(await Promise.all([first, ...queued]), [2, 4, 6]);
  assert.deepEqual(events.rejected, ["queue_full"]);
});

test("a job whose deadline passes while queued is answered at its deadline and never reaches the executor", async () => {
  const { batcher, batches, events } = recording({ maxBatchSize: 1, maxQueueDelayMs: 0 }, 200);
  const busy = batcher.submit(1, { rows: 1, key: "k", deadline: soon() });
  await sleep(5);
  const settled: string[] = [];
  void busy.then(() => settled.push("busy batch"));
  await assert.rejects(batcher.submit(2, { rows: 1, key: "k", deadline: Date.now() + 30 }), DeadlineExceededError);
  settled.push("deadline");
  assert.equal(await busy, 2);
  assert.deepEqual(settled, ["deadline", "busy batch"], "answered at its deadline, not after the busy batch");
  await sleep(20);
  assert.deepEqual(batches, [[1]]);
  assert.deepEqual(events.rejected, ["deadline"]);
  assert.equal(batcher.depth, 0);
});

test("a job already past its deadline is refused at submit", async () => {
  const { batcher, batches } = recording();
  await assert.rejects(batcher.submit(1, { rows: 1, key: "k", deadline: Date.now() - 1 }), DeadlineExceededError);
  assert.deepEqual(batches, []);
});

test("an executor failure fails every job of that batch and the batcher keeps serving", async () => {
  let fail = true;
  const batcher = new Batcher<number, number>({ maxBatchSize: 4, maxQueueDelayMs: 5, maxQueueSize: 10 }, async (p) => {
    if (fail) throw new Error("boom");
    return p;
  });
  const failed = await Promise.allSettled([1, 2].map((p) => batcher.submit(p, { rows: 1, key: "k", deadline: soon() })));
  assert.deepEqual(failed.map((r) => r.status), ["rejected", "rejected"]);
  fail = false;
  assert.equal(await batcher.submit(3, { rows: 1, key: "k", deadline: soon() }), 3);
});

test("depth reports the waiting jobs and returns to 0", async () => {
  const { batcher, events } = recording({ maxQueueDelayMs: 10 });
  await Promise.all([1, 2, 3].map((p) => batcher.submit(p, { rows: 1, key: "k", deadline: soon() })));
  assert.deepEqual(events.depth, [1, 2, 3, 0]);
});

test("flush runs queued jobs without waiting for the queue delay", async () => {
  const { batcher, batches } = recording({ maxQueueDelayMs: 60_000 });
  const pending = [1, 2].map((p) => batcher.submit(p, { rows: 1, key: "k", deadline: soon() }));
  await sleep(10);
  assert.deepEqual(batches, []);
  batcher.flush();
  const outcome = await Promise.race([Promise.all(pending), sleep(5_000, "still waiting" as const)]);
  assert.deepEqual(outcome, [2, 4]);
  assert.deepEqual(batches, [[1, 2]]);
});
