import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cpuCount, cpusFromCpuMax, planProcesses } from "../../../app/src/cluster/cpus.js";

test("a cgroup v2 cpu.max quota counts as whole CPUs, rounded up; no quota is no limit", () => {
  assert.equal(cpusFromCpuMax("200000 100000\n"), 2);
  assert.equal(cpusFromCpuMax("150000 100000"), 2);
  assert.equal(cpusFromCpuMax("50000 100000"), 1);
  assert.equal(cpusFromCpuMax("max 100000\n"), undefined);
  assert.equal(cpusFromCpuMax(""), undefined);
});

test("the CPU count is the affinity's, capped by the cgroup limit when one is set", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cpu-max-"));
  try {
    const file = path.join(dir, "cpu.max");
    writeFileSync(file, "100000 100000\n");
    assert.equal(cpuCount(file), 1);
    writeFileSync(file, "max 100000\n");
    assert.equal(cpuCount(file), os.availableParallelism());
    assert.equal(cpuCount(path.join(dir, "absent")), os.availableParallelism());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("WORKERS=0 means one process per CPU, and processes x onnxruntime threads never exceed the CPUs by default", () => {
  assert.deepEqual(planProcesses({ workers: 0, intraOpThreads: 0 }, 4), { workers: 4, intraOpThreads: 1 });
  assert.deepEqual(planProcesses({ workers: 2, intraOpThreads: 0 }, 8), { workers: 2, intraOpThreads: 4 });
  assert.deepEqual(planProcesses({ workers: 3, intraOpThreads: 0 }, 2), { workers: 3, intraOpThreads: 1 });
  // one process keeps onnxruntime's own default; an explicit thread count is kept as given
  assert.deepEqual(planProcesses({ workers: 0, intraOpThreads: 0 }, 1), { workers: 1, intraOpThreads: 0 });
  assert.deepEqual(planProcesses({ workers: 1, intraOpThreads: 0 }, 8), { workers: 1, intraOpThreads: 0 });
  assert.deepEqual(planProcesses({ workers: 4, intraOpThreads: 2 }, 4), { workers: 4, intraOpThreads: 2 });
});
