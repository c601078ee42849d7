// The `releases` output under Pulumi mocks: the previous history arrives through the stack's
// reference to itself, as it does in a real `pulumi up`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { Release } from "../../../infra/delivery/release-history.js";
import { releaseHistory } from "../../../infra/delivery/releases.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const ref = (c: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/inference-platform-dev@${digest(c)}`;
const old: Release[] = [{ digest: digest("a"), imageRef: ref("a"), gitSha: "aaaaaaa", time: "2026-11-25T00:00:00.000Z" }];

let previous: unknown = old;
const referenced: string[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.type === "pulumi:pulumi:StackReference") {
        referenced.push(String(args.inputs.name));
        return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: previous === undefined ? {} : { releases: previous } } };
      }
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "inference-platform",
  "prod",
  false,
  "acme",
);

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("release history output", () => {
  it("reads the previous history from the stack itself and appends this update's release", async () => {
    previous = old;
    const out = await value(releaseHistory({ digest: digest("b"), imageRef: ref("b"), env: { GITHUB_SHA: "bbbbbbb" } }));
    assert.deepEqual(referenced.at(-1), "acme/inference-platform/prod");
    assert.equal(out.length, 2);
    assert.deepEqual({ ...out[1], time: "" }, { digest: digest("b"), imageRef: ref("b"), gitSha: "bbbbbbb", time: "" });
    assert.ok(Date.parse(out[1]!.time) > Date.parse(old[0]!.time));
  });

  it("starts a history on a stack that has none, and marks a rollback", async () => {
    previous = undefined;
    const out = await value(releaseHistory({ digest: digest("b"), imageRef: ref("b"), env: { RELEASE_ROLLBACK_OF: digest("c"), RELEASE_GIT_SHA: "1234567" } }));
    assert.deepEqual(out.map((r) => [r.digest, r.gitSha, r.rollbackOf]), [[digest("b"), "1234567", digest("c")]]);
  });

  it("leaves the history alone when redeploying the same digest or a daemon-only image", async () => {
    previous = old;
    assert.deepEqual(await value(releaseHistory({ digest: digest("a"), imageRef: ref("a"), env: {} })), old);
    assert.deepEqual(await value(releaseHistory({ digest: digest("d"), imageRef: "inference-platform-app:cpu-1234", env: {} })), old);
  });

  it("keeps the newest entries only", async () => {
    previous = old;
    const out = await value(releaseHistory({ digest: digest("b"), imageRef: ref("b"), limit: 1, env: {} }));
    assert.deepEqual(out.map((r) => r.digest), [digest("b")]);
  });
});
