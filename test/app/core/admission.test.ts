import { afterEach, beforeEach, mock, test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { AdmissionController, enterUntilCancelled, validateAdmissionSettings, type AdmissionSettings, type Decision } from "../../../app/src/core/admission.js";

const SETTINGS: AdmissionSettings = { targetQueueDelayMs: 20, maxWaitMs: 500, maxWaiting: 3, minLimit: 1, maxLimit: 10, initialLimit: 10, intervalMs: 100 };

let clock = 0;
beforeEach(() => {
  clock = 0;
  mock.timers.enable({ apis: ["setTimeout"] });
});
afterEach(() => mock.timers.reset());

/** Advances the controller's clock and the mocked timers together. */
const advance = (ms: number) => {
  clock += ms;
  mock.timers.tick(ms);
};

/** A controller on the test clock that records its events, and a way to enter requests that records their decisions. */
function controller(settings: Partial<AdmissionSettings> = {}) {
  const events = { shed: [] as string[], limits: [] as number[], waiting: [] as number[] };
  const admission = new AdmissionController(
    { ...SETTINGS, ...settings },
    { shed: (r) => events.shed.push(r), limit: (l) => events.limits.push(l), waiting: (n) => events.waiting.push(n) },
    () => clock,
  );
  const enter = () => {
    const got: Decision[] = [];
    const withdraw = admission.enter((d) => got.push(d));
    return { got, withdraw, ticket: () => (got[0]?.admitted ? got[0] : assert.fail(`not admitted: ${JSON.stringify(got)}`)) };
  };
  return { admission, events, enter };
}

/** Runs one interval in which every batch-queue wait was `ms`; returns the limit revised at its end. */
function intervalWithQueueWait(admission: AdmissionController, ms: number): number {
  admission.observeQueueWait(ms);
  advance(100);
  return admission.limit;
}

test("requests up to the limit are admitted at once; past it they wait in line", () => {
  const { admission, enter } = controller({ maxLimit: 2 });
  const [a, b, c] = [enter(), enter(), enter()];
  assert.equal(a.ticket().waitedMs, 0);
  assert.equal(b.ticket().waitedMs, 0);
  assert.deepEqual(c.got, []);
  assert.equal(admission.inFlight, 2);
  assert.equal(admission.waiting, 1);
});

test("a freed slot goes to the newest request in line, which learns how long it waited", () => {
  const { admission, enter } = controller({ maxLimit: 1 });
  const first = enter();
  const older = enter();
  advance(30);
  const newer = enter();
  advance(10);
  first.ticket().release();
  assert.deepEqual(older.got, []);
  assert.equal(newer.ticket().waitedMs, 10);
  newer.ticket().release();
  assert.equal(older.ticket().waitedMs, 40);
  assert.equal(admission.inFlight, 1);
});

test("a request that waits maxWaitMs without a slot is refused with Retry-After and keeps its connection", () => {
  const { admission, events, enter } = controller({ maxLimit: 1 });
  enter();
  const late = enter();
  advance(499);
  assert.deepEqual(late.got, []);
  advance(1);
  assert.deepEqual(late.got, [{ admitted: false, reason: "wait_timeout", retryAfterSeconds: 1, closeConnection: false }]);
  assert.equal(admission.waiting, 0);
  assert.deepEqual(events.shed, ["wait_timeout"]);
});

test("when the line is full a request is refused at once and told to close its connection", () => {
  const { events, enter } = controller({ maxLimit: 1, maxWaiting: 2 });
  enter();
  enter();
  enter();
  const refused = enter();
  assert.deepEqual(refused.got, [{ admitted: false, reason: "waiting_full", retryAfterSeconds: 1, closeConnection: true }]);
  assert.deepEqual(events.shed, ["waiting_full"]);
});

test("with maxWaitMs 0 nothing waits: past the limit a request is refused at once", () => {
  const { admission, enter } = controller({ maxLimit: 1, maxWaitMs: 0 });
  enter();
  assert.equal(enter().got[0]?.admitted, false);
  assert.equal(admission.waiting, 0);
});

test("a request withdrawn from the line is never decided and gives up its place", () => {
  const { admission, enter } = controller({ maxLimit: 1 });
  const first = enter();
  const gone = enter();
  gone.withdraw();
  assert.equal(admission.waiting, 0);
  advance(1000);
  first.ticket().release();
  assert.deepEqual(gone.got, []);
  assert.equal(admission.inFlight, 0);
});

/** A request's "went away" signal, as either front door wires it (res "close", call "cancelled"). */
function goneSignal() {
  const emitter = new EventEmitter();
  return { emitter, cancellation: { on: (f: () => void) => emitter.once("gone", f), off: (f: () => void) => emitter.off("gone", f) } };
}

test("enterUntilCancelled: decided at once, nothing listens for the request going away", () => {
  const { admission } = controller({ initialLimit: 1 });
  const { emitter, cancellation } = goneSignal();
  const got: Decision[] = [];
  enterUntilCancelled(admission, cancellation, (d) => got.push(d));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.admitted, true);
  assert.equal(emitter.listenerCount("gone"), 0);
});

test("enterUntilCancelled: a request that goes away while in line leaves it and is never decided", () => {
  const { admission, enter } = controller({ initialLimit: 1 });
  enter().ticket();
  const { emitter, cancellation } = goneSignal();
  const got: Decision[] = [];
  enterUntilCancelled(admission, cancellation, (d) => got.push(d));
  assert.equal(admission.waiting, 1);
  assert.equal(emitter.listenerCount("gone"), 1);
  emitter.emit("gone");
  assert.equal(admission.waiting, 0);
  advance(SETTINGS.maxWaitMs);
  assert.deepEqual(got, []);
});

test("enterUntilCancelled: once a waiting request is decided, its going away no longer touches the line", () => {
  const { admission, enter } = controller({ initialLimit: 1 });
  const first = enter().ticket();
  const { emitter, cancellation } = goneSignal();
  const got: Decision[] = [];
  enterUntilCancelled(admission, cancellation, (d) => got.push(d));
  first.release();
  assert.equal(got[0]?.admitted, true);
  assert.equal(emitter.listenerCount("gone"), 0);
  enter();
  emitter.emit("gone");
  assert.equal(admission.waiting, 1, "the next request still waits");
});

test("without an initial limit the controller starts at minLimit and grows from there (slow start)", () => {
  const { admission, enter } = controller({ minLimit: 2, maxLimit: 10, initialLimit: undefined });
  enter();
  enter();
  assert.equal(enter().got.length, 0, "the third waits");
  assert.equal(intervalWithQueueWait(admission, 5), 3);
});

test("releasing a ticket twice frees one slot", () => {
  const { admission, enter } = controller({ maxLimit: 2 });
  const a = enter();
  enter();
  a.ticket().release();
  a.ticket().release();
  assert.equal(admission.inFlight, 1);
});

test("a standing batch queue (even the shortest wait of an interval above target) shrinks the limit in proportion, at most by half", () => {
  const { admission, events } = controller({ maxLimit: 10, targetQueueDelayMs: 20 });
  assert.equal(intervalWithQueueWait(admission, 25), 8, "10 x 20/25");
  assert.equal(intervalWithQueueWait(admission, 1000), 4, "halved, not cut to 8 x 20/1000");
  assert.deepEqual(events.limits, [10, 8, 4], "the starting limit, then each change");
});

test("the limit never shrinks below minLimit", () => {
  const { admission } = controller({ maxLimit: 10, minLimit: 3 });
  for (let i = 0; i < 10; i++) intervalWithQueueWait(admission, 1000);
  assert.equal(admission.limit, 3);
});

test("one short wait in an interval means a passing burst, not a standing queue: the limit stays", () => {
  const { admission } = controller({ maxLimit: 10 });
  admission.observeQueueWait(500);
  assert.equal(intervalWithQueueWait(admission, 5), 10);
});

test("the limit grows by a quarter per interval while requests wait for it without a standing queue, up to maxLimit", () => {
  const { admission, enter } = controller({ maxLimit: 10, minLimit: 2, maxWaiting: 100, maxWaitMs: 60_000 });
  for (let i = 0; i < 6; i++) intervalWithQueueWait(admission, 1000);
  assert.equal(admission.limit, 2);
  const waiting = Array.from({ length: 20 }, () => enter());
  assert.equal(intervalWithQueueWait(admission, 5), 3, "ceil(2 x 1.25)");
  assert.equal(waiting.filter((w) => w.got[0]?.admitted).length, 3, "the new room is given to waiting requests at once");
  for (let i = 0; i < 20; i++) intervalWithQueueWait(admission, 5);
  assert.equal(admission.limit, 10);
});

test("the limit stops growing once every request that wanted a slot has one", () => {
  const { admission, enter } = controller({ maxLimit: 10, minLimit: 2, maxWaiting: 100, maxWaitMs: 60_000 });
  for (let i = 0; i < 6; i++) intervalWithQueueWait(admission, 1000);
  Array.from({ length: 3 }, () => enter());
  for (let i = 0; i < 20; i++) intervalWithQueueWait(admission, 5);
  assert.ok(admission.limit <= 4, `limit ${admission.limit} grew past the demand of 3`);
  assert.equal(admission.inFlight, 3);
});

test("without demand at the limit a short queue does not grow it", () => {
  const { admission, enter } = controller({ maxLimit: 10, minLimit: 2 });
  for (let i = 0; i < 6; i++) intervalWithQueueWait(admission, 1000);
  enter();
  for (let i = 0; i < 3; i++) intervalWithQueueWait(admission, 5);
  assert.equal(admission.limit, 2);
});

test("a shrunk limit holds new requests back until enough admitted ones are released", () => {
  const { admission, enter } = controller({ maxLimit: 4, minLimit: 1 });
  const admitted = Array.from({ length: 4 }, () => enter());
  intervalWithQueueWait(admission, 40);
  assert.equal(admission.limit, 2);
  const waiting = enter();
  admitted[0]!.ticket().release();
  admitted[1]!.ticket().release();
  assert.deepEqual(waiting.got, [], "2 still in flight at a limit of 2");
  admitted[2]!.ticket().release();
  assert.equal(waiting.ticket().admitted, true);
});

test("the line's length is reported as it changes", () => {
  const { events, enter } = controller({ maxLimit: 1 });
  const first = enter();
  enter();
  enter();
  first.ticket().release();
  assert.deepEqual(events.waiting, [0, 1, 2, 1], "empty at the start");
});

test("bad settings are refused naming each one and what it allows", () => {
  assert.throws(
    () => validateAdmissionSettings({ ...SETTINGS, targetQueueDelayMs: 0, maxWaitMs: -1, maxLimit: 1, minLimit: 2 }),
    /targetQueueDelayMs must be an integer >= 1, got 0; maxWaitMs must be an integer >= 0, got -1; maxLimit must be an integer >= minLimit \(2\), got 1/,
  );
  assert.doesNotThrow(() => validateAdmissionSettings(SETTINGS));
});
