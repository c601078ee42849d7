// The command line of `npm run canary`: what it accepts and how it refuses.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCanaryArgs, parseDuration } from "../../../scripts/canary/cli.js";

describe("parseCanaryArgs", () => {
  it("takes a stack and a command; wait takes a timeout and an interval", () => {
    assert.deepEqual(parseCanaryArgs(["prod", "status"]), { stack: "prod", command: "status", timeoutSeconds: 1800, intervalSeconds: 10 });
    assert.deepEqual(parseCanaryArgs(["org/proj/staging", "wait", "--timeout", "45m", "--interval", "5s"]), {
      stack: "org/proj/staging",
      command: "wait",
      timeoutSeconds: 2700,
      intervalSeconds: 5,
    });
  });

  it("refuses what it cannot do, naming what is allowed", () => {
    assert.throws(() => parseCanaryArgs([]), /missing stack/);
    assert.throws(() => parseCanaryArgs(["prod"]), /missing command; allowed: status, promote, abort, wait/);
    assert.throws(() => parseCanaryArgs(["prod", "rollback"]), /unknown command "rollback"; allowed: status, promote, abort, wait/);
    assert.throws(() => parseCanaryArgs(["prod", "status", "extra"]), /too many arguments: extra/);
    assert.throws(() => parseCanaryArgs(["prod", "promote", "--timeout", "5m"]), /--timeout and --interval belong to wait/);
    assert.throws(() => parseCanaryArgs(["a b", "status"]), /not a stack name/);
    assert.throws(() => parseCanaryArgs(["prod", "status", "--force"]), /Unknown option '--force'/);
  });

  it("durations are whole seconds, minutes or hours, never zero", () => {
    assert.equal(parseDuration("90s", "--timeout"), 90);
    assert.equal(parseDuration("2h", "--timeout"), 7200);
    assert.throws(() => parseDuration("0m", "--timeout"), /--timeout must be a positive duration/);
    assert.throws(() => parseDuration("1.5h", "--timeout"), /got "1.5h"/);
  });
});
