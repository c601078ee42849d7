import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  findRelease,
  parseReleaseHistory,
  planPromotion,
  planRollback,
  recordRelease,
  ReleaseError,
  type PromotionFacts,
  type Release,
} from "../../../infra/delivery/release-history.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const release = (c: string, over: Partial<Release> = {}): Release => ({
  digest: digest(c),
  imageRef: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/inference@${digest(c)}`,
  gitSha: `${c}${"0".repeat(39)}`,
  time: "2026-11-26T00:00:00.000Z",
  ...over,
});

describe("release history", () => {
  it("appends a new digest and keeps only the newest entries", () => {
    const history = ["a", "b", "c"].map((c) => release(c));
    assert.deepEqual(recordRelease(history, release("d"), 3).map((r) => r.digest), [digest("b"), digest("c"), digest("d")]);
  });

  it("does not record a redeploy of the running digest as a new release", () => {
    const history = [release("a"), release("b")];
    assert.deepEqual(recordRelease(history, release("b", { time: "2026-11-27T00:00:00.000Z" })), history);
  });

  it("records a return to an older digest as a new release", () => {
    const history = [release("a"), release("b")];
    assert.equal(recordRelease(history, release("a", { rollbackOf: digest("b") })).length, 3);
  });

  it("reads a missing output as an empty history and rejects a malformed one naming the field", () => {
    assert.deepEqual(parseReleaseHistory(undefined, "stack dev"), []);
    assert.throws(
      () => parseReleaseHistory([{ ...release("a"), digest: "latest" }], "stack dev"),
      (e: unknown) => e instanceof ReleaseError && /stack dev: .*at "0.digest": must be sha256/.test(e.message),
    );
    assert.throws(() => parseReleaseHistory({ not: "a list" }, "stack dev"), ReleaseError);
  });

  it("finds a release by digest, digest prefix or git sha prefix", () => {
    const history = [release("a"), release("b")];
    assert.equal(findRelease(history, digest("a"), "prod").digest, digest("a"));
    assert.equal(findRelease(history, "sha256:bbbbbbb", "prod").digest, digest("b"));
    assert.equal(findRelease(history, "bbbbbbbb", "prod").digest, digest("b"));
    assert.equal(findRelease(history, "a000000", "prod").digest, digest("a"), "git sha prefix");
    assert.throws(() => findRelease(history, "ccccccc", "prod"), /no release matching "ccccccc"; its releases: sha256:aaaaaaaaaaaa/);
    assert.throws(() => findRelease(history, "abc", "prod"), /at least 7 hex digits/);
  });

  it("refuses an ambiguous selector", () => {
    const history = [release("a", { gitSha: "1234567aaa" }), release("b", { gitSha: "1234567bbb" })];
    assert.throws(() => findRelease(history, "1234567", "prod"), /ambiguous/);
  });
});

describe("rollback decision", () => {
  it("returns to the previous release by default", () => {
    const plan = planRollback("prod", [release("a"), release("b"), release("c")], digest("c"));
    assert.equal(plan.target.digest, digest("b"));
    assert.equal(plan.replaces, digest("c"));
  });

  it("never picks a release that was itself rolled back", () => {
    // a -> b, b rolled back to a: the next rollback must not bring b back.
    const history = [release("0"), release("a"), release("b"), release("a", { rollbackOf: digest("b") })];
    assert.equal(planRollback("prod", history, digest("a")).target.digest, digest("0"));
  });

  it("explains when there is nothing earlier to return to", () => {
    assert.throws(() => planRollback("prod", [release("a")], digest("a")), /no earlier release to roll back to/);
    assert.throws(() => planRollback("prod", [], undefined), /no recorded release; deploy it once/);
  });

  it("goes to a named release, but not to the one already running", () => {
    const history = [release("a"), release("b"), release("c")];
    assert.equal(planRollback("prod", history, digest("c"), "aaaaaaa").target.digest, digest("a"));
    assert.throws(() => planRollback("prod", history, digest("c"), "ccccccc"), /already runs/);
  });

  it("with --force redeploys the named release the outputs say runs (after a failed update)", () => {
    const history = [release("a"), release("b"), release("c")];
    const plan = planRollback("prod", history, digest("c"), "ccccccc", true);
    assert.deepEqual([plan.target.digest, plan.replaces], [digest("c"), digest("c")]);
    assert.throws(() => planRollback("prod", history, digest("c"), undefined, true), /--force needs a named release/);
  });
});

describe("promotion decision", () => {
  const facts = (over: Partial<PromotionFacts> = {}): PromotionFacts => ({
    source: { stack: "dev", imageDigest: digest("b"), endpointUrl: "https://dev", releases: [release("a"), release("b")] },
    target: { stack: "staging", imageDigest: digest("a"), endpointUrl: "https://staging", releases: [release("a")] },
    sourceSmoke: { passed: true, failures: [] },
    inRegistry: true,
    ...over,
  });

  it("promotes the digest the source runs, with its release record", () => {
    const plan = planPromotion(facts());
    assert.equal(plan.alreadyRunning, false);
    assert.equal(plan.release.digest, digest("b"));
    assert.equal(plan.release.gitSha, release("b").gitSha);
  });

  it("refuses a digest whose smoke test on the source failed", () => {
    assert.throws(
      () => planPromotion(facts({ sourceSmoke: { passed: false, failures: ["infer: POST infer answered 500"] } })),
      /refusing to promote unverified digest sha256:b+: the smoke test of dev failed: infer: POST infer answered 500/,
    );
  });

  it("refuses a digest the registry no longer holds", () => {
    assert.throws(() => planPromotion(facts({ inRegistry: false })), /registry has no manifest for that digest/);
  });

  it("refuses when the source no longer runs the digest CI built", () => {
    assert.throws(() => planPromotion(facts({ expectDigest: digest("c") })), /not the expected sha256:c+/);
  });

  it("refuses a source whose outputs and history disagree, or that has no release", () => {
    const f = facts();
    assert.throws(() => planPromotion({ ...f, source: { ...f.source, imageDigest: digest("c") } }), /did not finish cleanly/);
    assert.throws(() => planPromotion({ ...f, source: { ...f.source, releases: [] } }), /no recorded release to promote/);
    assert.throws(() => planPromotion({ ...f, target: { ...f.target, stack: "dev" } }), /to itself/);
  });

  it("still applies the program when the target already runs the digest: an infra-only push reaches every stack", () => {
    // infra/, stacks/ and policy/ are not in the image (.dockerignore), so such a commit leaves dev's digest as it was.
    const f = facts();
    const plan = planPromotion({ ...f, target: { ...f.target, imageDigest: digest("b"), releases: [release("a"), release("b")] } });
    assert.deepEqual([plan.alreadyRunning, plan.release.digest], [true, digest("b")]);
  });

  it("refuses a digest the target rolled back, unless forced", () => {
    const f = facts();
    const rolledBack = { ...f.target, imageDigest: digest("a"), releases: [release("a"), release("b"), { ...release("a"), time: "2026-11-27T08:00:00.000Z", rollbackOf: digest("b") }] };
    assert.throws(
      () => planPromotion({ ...f, target: rolledBack }),
      new RegExp(`refusing to promote ${digest("b")} to staging: staging rolled it back on 2026-11-27T08:00:00.000Z .*pass --force`),
    );
    assert.equal(planPromotion({ ...f, target: rolledBack, force: true }).release.digest, digest("b"));
    // Once forced back in, later pushes of the same digest apply as usual.
    const forced = { ...rolledBack, imageDigest: digest("b"), releases: [...rolledBack.releases, release("b")] };
    assert.equal(planPromotion({ ...f, target: forced }).alreadyRunning, true);
  });
});
