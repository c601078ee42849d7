import { test } from "node:test";
import assert from "node:assert/strict";
import { loadExamples, messageText, splitExamples, type Example } from "../../../scripts/train/dataset.js";

test("a message becomes its subject and body; the other headers are dropped", () => {
  const raw = "From x@y  Thu Aug 22 2002\r\nReceived: from relay.example\r\nSubject:  Cheap   meds \r\nX-Spam-Status: Yes\r\n\r\nBody line 1\r\n\r\nBody line 2";
  assert.equal(messageText(raw), "Cheap   meds\n\nBody line 1\n\nBody line 2");
  assert.equal(messageText("Subject: only headers"), "only headers\n\n");
  assert.equal(messageText("From: a\n\nno subject"), "\n\nno subject");
});

test("the corpus loads as labelled, de-duplicated examples", () => {
  const examples = loadExamples();
  assert.equal(examples.length, 5946, "6046 messages less 100 exact duplicates");
  assert.equal(examples.filter((e) => e.label === 1).length, 1834);
  assert.equal(new Set(examples.map((e) => e.text)).size, examples.length);
  assert.ok(examples.every((e) => (e.label === 1) === e.id.startsWith("spam")));
  assert.ok(!examples.some((e) => /^Received: /m.test(e.text.split("\n\n")[0]!)), "no header block left");
});

test("the split is seeded, disjoint, complete and stratified", () => {
  const examples: Example[] = Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}`, text: `t${i}`, label: i % 4 === 0 ? 1 : 0 }));
  const a = splitExamples(examples, 0.2, 1);
  assert.deepEqual(a, splitExamples(examples, 0.2, 1));
  assert.notDeepEqual(a.test, splitExamples(examples, 0.2, 2).test);
  assert.equal(a.test.length, 200);
  assert.equal(a.test.filter((e) => e.label === 1).length, 50, "a quarter spam, like the whole");
  const ids = [...a.train, ...a.test].map((e) => e.id);
  assert.equal(new Set(ids).size, 1000);
  assert.throws(() => splitExamples(examples, 1, 1), /testFraction must be in \(0, 1\), got 1/);
});
