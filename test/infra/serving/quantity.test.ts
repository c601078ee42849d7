import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuCores, gibOf } from "../../../infra/serving/quantity.js";

test("CPU quantities read as cores, in whole units and millicores", () => {
  assert.equal(cpuCores("2"), 2);
  assert.equal(cpuCores("1.5"), 1.5);
  assert.equal(cpuCores("500m"), 0.5);
  assert.equal(cpuCores("4Gi"), 0);
});

test("storage quantities read as GiB, in binary and decimal units", () => {
  assert.equal(gibOf("50Gi"), 50);
  assert.equal(gibOf("512Mi"), 0.5);
  assert.equal(gibOf("1Ti"), 1024);
  assert.equal(gibOf("lots"), 0);
});
