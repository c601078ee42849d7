import { test } from "node:test";
import assert from "node:assert/strict";
import { categorize, perRequest, type CpuProfile } from "../../../scripts/bench/cpu-profile.js";

// (root) -> emit (node:_http_server) -> infer (http/infer.js) -> splitInferBody (protocol/binary.js) -> parse (native)
//                                                                   -> digest (node:crypto) under cacheKey (cache/key.js)
//        -> (garbage collector), (idle), anonymous with no rule
const frame = (functionName: string, url = "") => ({ functionName, url });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 7, 8, 9] },
    { id: 2, callFrame: frame("emit", "node:_http_server"), children: [3] },
    { id: 3, callFrame: frame("infer", "file:///x/app/dist/http/infer.js"), children: [4, 6] },
    { id: 4, callFrame: frame("splitInferBody", "file:///x/app/dist/protocol/binary.js"), children: [5] },
    { id: 5, callFrame: frame("parse") },
    { id: 6, callFrame: frame("cacheKey", "file:///x/app/dist/cache/key.js"), children: [10] },
    { id: 7, callFrame: frame("(garbage collector)") },
    { id: 8, callFrame: frame("(idle)") },
    { id: 9, callFrame: frame("anonymous") },
    { id: 10, callFrame: frame("digest", "node:crypto") },
  ],
  startTime: 1000,
  endTime: 2000,
  // each sample's delta is the time since the previous one; timestamps 1010, 1030, 1060, 1100, 1150, 1210, 1280
  samples: [5, 10, 3, 2, 7, 8, 9],
  timeDeltas: [10, 20, 30, 40, 50, 60, 70],
};

test("a sample is charged to the first matching frame from the leaf up: native JSON.parse under splitInferBody is JSON parse", () => {
  const totals = categorize(profile);
  assert.deepEqual(Object.fromEntries(totals), {
    "JSON parse": 10,
    "cache key hashing": 20,
    "inference route": 30,
    "HTTP parse and write (node:http, net, streams)": 40,
    "garbage collection": 50,
    idle: 60,
    "other JavaScript": 70,
  });
});

test("only samples inside the window count, and per request leaves idle out of the shares", () => {
  assert.deepEqual(Object.fromEntries(categorize(profile, undefined, 1025, 1100)), {
    "cache key hashing": 20,
    "inference route": 30,
    "HTTP parse and write (node:http, net, streams)": 40,
  });
  const rows = perRequest(categorize(profile, undefined, 1025, 1100), 10);
  assert.deepEqual(rows.map((r) => [r.category, r.usPerRequest]), [
    ["HTTP parse and write (node:http, net, streams)", 4],
    ["inference route", 3],
    ["cache key hashing", 2],
  ]);
  assert.ok(Math.abs(rows.reduce((s, r) => s + r.share, 0) - 1) < 1e-12);
});
