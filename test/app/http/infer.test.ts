// Which requests take the inference route (and pass admission control first): the
// inference POSTs, named by model and version; everything else goes to the Express app.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inferTarget } from "../../../app/src/http/infer.js";

test("inference POSTs name their model and version, with or without a query string or a trailing slash", () => {
  assert.deepEqual(inferTarget("POST", "/v2/models/spam-classifier/infer"), { model: "spam-classifier" });
  assert.deepEqual(inferTarget("POST", "/v2/models/spam-classifier/versions/2/infer"), { model: "spam-classifier", version: "2" });
  assert.deepEqual(inferTarget("POST", "/v2/models/spam-classifier/infer?trace=1"), { model: "spam-classifier" });
  assert.deepEqual(inferTarget("POST", "/v2/models/spam-classifier/infer/"), { model: "spam-classifier" }, "as Express's non-strict routing matched it");
  assert.deepEqual(inferTarget("POST", "/v2/models/my%20model/versions/a%2Fb/infer"), { model: "my model", version: "a/b" }, "decoded as Express decodes route parameters");
});

test("every other request goes to the Express app: other methods, other paths, and names that do not decode", () => {
  assert.equal(inferTarget("GET", "/v2/models/spam-classifier/infer"), undefined);
  assert.equal(inferTarget("POST", "/v2/models/spam-classifier/ready"), undefined);
  assert.equal(inferTarget("POST", "/v2/models/spam-classifier/inference"), undefined);
  assert.equal(inferTarget("POST", "/v2/models/spam-classifier/versions/infer"), undefined);
  assert.equal(inferTarget("POST", "/v2/health/ready"), undefined);
  assert.equal(inferTarget("POST", "/v2/models/%E0%A4%A/infer"), undefined);
  assert.equal(inferTarget(undefined, undefined), undefined);
});
