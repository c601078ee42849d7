import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32, shuffled } from "../../scripts/models/prng.js";

test("mulberry32 is reproducible per seed, differs across seeds and stays in [0, 1)", () => {
  const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 1000 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean} is far from 0.5`);
});

test("shuffled returns a permutation of a copy and is seeded", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const s1 = shuffled(items, mulberry32(1));
  assert.deepEqual([...s1].sort((x, y) => x - y), items);
  assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => i), "input left untouched");
  assert.deepEqual(s1, shuffled(items, mulberry32(1)));
  assert.notDeepEqual(s1, items);
});
