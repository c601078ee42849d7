import { test } from "node:test";
import assert from "node:assert/strict";
import { inferenceModel } from "../../../app/src/http/admission.js";

test("admission applies to inference POSTs and names their model, with or without a version or a query string", () => {
  assert.equal(inferenceModel("POST", "/v2/models/spam-classifier/infer"), "spam-classifier");
  assert.equal(inferenceModel("POST", "/v2/models/spam-classifier/versions/2/infer"), "spam-classifier");
  assert.equal(inferenceModel("POST", "/v2/models/spam-classifier/infer?trace=1"), "spam-classifier");
  assert.equal(inferenceModel("POST", "/v2/models/my%20model/infer"), "my model", "decoded as Express decodes route parameters");
});

test("every other request skips admission: other methods, other paths, and names that do not decode", () => {
  assert.equal(inferenceModel("GET", "/v2/models/spam-classifier/infer"), undefined);
  assert.equal(inferenceModel("POST", "/v2/models/spam-classifier/ready"), undefined);
  assert.equal(inferenceModel("POST", "/v2/models/spam-classifier/inference"), undefined);
  assert.equal(inferenceModel("POST", "/v2/health/ready"), undefined);
  assert.equal(inferenceModel("POST", "/v2/models/%E0%A4%A/infer"), undefined);
  assert.equal(inferenceModel(undefined, undefined), undefined);
});
