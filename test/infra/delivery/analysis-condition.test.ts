// Argo Rollouts' measurement verdict, modelled: the expression subset our templates
// use and EvaluateResult's rule (utils/evaluate/evaluate.go, v1.9.0).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkCondition,
  ConditionError,
  evaluateCondition,
  measurementPhase,
  worstPhase,
} from "../../../infra/delivery/analysis-condition.js";

describe("evaluateCondition: the expr-lang subset", () => {
  it("indexes the result vector and compares numbers", () => {
    assert.equal(evaluateCondition("result[0] <= 0.02", [0.01]), true);
    assert.equal(evaluateCondition("result[0] <= 0.02", [0.03]), false);
    assert.equal(evaluateCondition("result[1] > 2", [0, 3]), true);
    assert.equal(evaluateCondition("result[0] == 1", [1]), true);
    assert.equal(evaluateCondition("result[0] != 1", [1]), false);
    assert.equal(evaluateCondition("result >= 5", 5), true, "a scalar query gives a number, not a list");
  });

  it("ranks operators as expr does: arithmetic over comparison over and over or", () => {
    assert.equal(evaluateCondition("1 + 2 * 3 == 7", []), true);
    assert.equal(evaluateCondition("(1 + 2) * 3 == 9", []), true);
    assert.equal(evaluateCondition("-result[0] < 0", [2]), true);
    assert.equal(evaluateCondition("true || false && false", []), true);
    assert.equal(evaluateCondition("(true || false) && false", []), false);
    assert.equal(evaluateCondition("not (result[0] > 1) or result[0] == 5", [5]), true);
    assert.throws(() => evaluateCondition("not result[0] > 1", [5]), /not needs a boolean/, "not binds tighter than >");
    assert.equal(evaluateCondition("!(result[0] > 1)", [5]), false);
    assert.equal(evaluateCondition("4 / 8 == 0.5", []), true);
    assert.equal(evaluateCondition("1e-3 < 0.002", []), true);
  });

  it("len, isNaN and isInf", () => {
    assert.equal(evaluateCondition("len(result) == 0", []), true);
    assert.equal(evaluateCondition("len(result) == 1 && result[0] < 1", [0.5]), true);
    assert.equal(evaluateCondition("isNaN(result[0])", [NaN]), true);
    assert.equal(evaluateCondition("isInf(result[0])", [-Infinity]), true);
    assert.equal(evaluateCondition("isInf(result[0])", [NaN]), false);
  });

  it("NaN compares false both ways, as Go's float64 does", () => {
    assert.equal(evaluateCondition("result[0] <= 1", [NaN]), false);
    assert.equal(evaluateCondition("result[0] > 1", [NaN]), false);
  });

  it("and / or short-circuit: a guard keeps result[0] of an empty vector from being read", () => {
    assert.equal(evaluateCondition("len(result) > 0 && result[0] > 1", []), false);
    assert.equal(evaluateCondition("len(result) == 0 || result[0] > 1", []), true);
  });

  it("refuses what expr would refuse, naming the problem", () => {
    assert.throws(() => evaluateCondition("result[0] > 1", []), /index out of range: 0 \(array length is 0\)/);
    assert.throws(() => evaluateCondition("result[0]", [1]), /expected bool/);
    assert.throws(() => evaluateCondition("result > 1", [1]), /needs a number, got an array/);
    assert.throws(() => evaluateCondition("len(result[0]) > 1", [1]), /only an array has a length/);
    assert.throws(() => evaluateCondition("result[0] && true", [1]), /needs a boolean/);
    assert.throws(() => evaluateCondition("asFloat(result[0]) > 1", [1]), /unknown name "asFloat"; allowed: result, len, isNaN, isInf, true, false/);
    assert.throws(() => evaluateCondition("result[0] > ", [1]), /unexpected end/);
    assert.throws(() => evaluateCondition("(result[0] > 1", [1]), /expected "\)"/);
    assert.throws(() => evaluateCondition("result[0] > 1 1", [1]), /unexpected "1"/);
    assert.throws(() => evaluateCondition("result[0] % 2 == 0", [1]), ConditionError);
  });

  it("checkCondition parses without a result", () => {
    assert.doesNotThrow(() => checkCondition("len(result) == 1 && result[0] <= 0.02"));
    assert.throws(() => checkCondition("result[0] =< 1"), ConditionError);
  });
});

describe("measurementPhase: EvaluateResult's rule", () => {
  const both = { successCondition: "len(result) == 1 && result[0] <= 0.02", failureCondition: "len(result) == 1 && result[0] > 0.02" };

  it("with both conditions: success, failure, and neither is Inconclusive", () => {
    assert.equal(measurementPhase([0.01], both), "Successful");
    assert.equal(measurementPhase([0.5], both), "Failed");
    assert.equal(measurementPhase([], both), "Inconclusive", "no sample: no verdict");
    assert.equal(measurementPhase([NaN], both), "Inconclusive", "0/0: no verdict");
  });

  it("with one condition, its negation is the other", () => {
    assert.equal(measurementPhase([0.5], { successCondition: "result[0] < 1" }), "Successful");
    assert.equal(measurementPhase([5], { successCondition: "result[0] < 1" }), "Failed");
    assert.equal(measurementPhase([5], { failureCondition: "result[0] > 1" }), "Failed");
    assert.equal(measurementPhase([0], { failureCondition: "result[0] > 1" }), "Successful");
  });

  it("no condition is Successful; an unevaluable one is Error", () => {
    assert.equal(measurementPhase([], {}), "Successful");
    assert.equal(measurementPhase([], { successCondition: "result[0] < 1" }), "Error");
  });

  it("a run is as bad as its worst measurement, in Argo's order", () => {
    assert.equal(worstPhase([]), "Successful");
    assert.equal(worstPhase(["Successful", "Inconclusive"]), "Inconclusive");
    assert.equal(worstPhase(["Inconclusive", "Error", "Successful"]), "Error");
    assert.equal(worstPhase(["Failed", "Error", "Inconclusive"]), "Failed");
  });
});
