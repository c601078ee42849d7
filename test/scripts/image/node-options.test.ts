// The Node flags the image runs the server with: set in both Dockerfiles, accepted by the
// Node the project pins, and doing what they are there for (semi-spaces of 16 MiB).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import path from "node:path";
import { repoRoot } from "../../support/shared.js";
import { dockerfileNodeOptions, SERVER_NODE_OPTIONS } from "../../../scripts/image/node-options.js";

/** The new space's size after churning short-lived objects, in MiB, under `nodeOptions`. */
function newSpaceMiB(nodeOptions: string | undefined): number {
  const script =
    'let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 100000) keep = []; }' +
    'const s = require("v8").getHeapSpaceStatistics().find((x) => x.space_name === "new_space"); console.log(s.space_size / 2 ** 20);';
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  if (nodeOptions === undefined) delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env, timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

describe("the server's Node flags", () => {
  it("are what both Dockerfiles set as NODE_OPTIONS", () => {
    for (const file of ["app/Dockerfile", "app/Dockerfile.cuda"]) {
      assert.equal(dockerfileNodeOptions(readFileSync(path.join(repoRoot, file), "utf8")), SERVER_NODE_OPTIONS, file);
    }
  });

  it("read NODE_OPTIONS from an ENV instruction, quoted or not, on its own line or continued", () => {
    assert.equal(dockerfileNodeOptions('ENV A=1 \\\n    NODE_OPTIONS="--x=1 --y" \\\n    B=2\n'), "--x=1 --y");
    assert.equal(dockerfileNodeOptions("ENV NODE_OPTIONS=--x=1\n"), "--x=1");
    assert.equal(dockerfileNodeOptions("ENV NODE_ENV=production\n"), undefined);
  });

  it("cap the new space at two 16 MiB semi-spaces, whatever the host's memory", () => {
    const flagged = newSpaceMiB(SERVER_NODE_OPTIONS);
    assert.ok(flagged <= 32, `new space ${flagged} MiB`);
    // Control: without them the same churn grows the new space with the host's memory (128 MiB on a
    // 24 GiB host, as in a 6-12 GiB pod); at 2 GiB or less V8's own default is already this small.
    if (totalmem() > 4 * 2 ** 30) {
      const unflagged = newSpaceMiB(undefined);
      assert.ok(unflagged > flagged, `new space without the flags ${unflagged} MiB, with them ${flagged} MiB`);
    }
  });
});
