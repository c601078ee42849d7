// Image tags are content hashes of exactly what enters the build.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { contextHash, contextPaths } from "../../../infra/delivery/build-context.js";
import { REPO_ROOT } from "../../support/pulumi-program.js";

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ctx-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("build context hash", () => {
  const allowList = "*\n!package.json\n!app/src\n";

  it("is stable for the same content and changes with any file that enters the image", (t) => {
    const a = context({ ".dockerignore": allowList, "package.json": "{}", "app/src/main.ts": "1", "infra/x.ts": "a" });
    const b = context({ ".dockerignore": allowList, "package.json": "{}", "app/src/main.ts": "2", "infra/x.ts": "a" });
    t.after(() => [a, b].forEach((d) => rmSync(d, { recursive: true })));
    assert.match(contextHash(a), /^[0-9a-f]{12}$/);
    assert.equal(contextHash(a), contextHash(a));
    assert.notEqual(contextHash(a), contextHash(b));
  });

  it("ignores what the .dockerignore allow-list keeps out", (t) => {
    const a = context({ ".dockerignore": allowList, "package.json": "{}", "app/src/main.ts": "1", "infra/x.ts": "a" });
    const b = context({ ".dockerignore": allowList, "package.json": "{}", "app/src/main.ts": "1", "infra/x.ts": "b", "app/src/node_modules/m.js": "x" });
    t.after(() => [a, b].forEach((d) => rmSync(d, { recursive: true })));
    assert.equal(contextHash(a), contextHash(b));
  });

  it("reads the repository's allow-list: the app and the workspace manifests, not infra or tests", () => {
    const paths = contextPaths(REPO_ROOT);
    assert.ok(paths.includes("package-lock.json") && paths.includes("app/src"));
    assert.ok(!paths.some((p) => p.startsWith("infra") || p.startsWith("test")));
  });
});
