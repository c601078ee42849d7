// The stand-in base: which image it stands in for, which Node it carries, which mirror it is made from.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../support/shared.js";
import { debianMirror, dockerfileBaseImage, parseAptSources, toolchain } from "../../scripts/image/stand-in-base.js";

const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");

describe("stand-in base image", () => {
  it("is the image both Dockerfiles build on, on the Node version the project pins", () => {
    const pinned = toolchain(read("scripts/toolchain.env"));
    for (const file of ["app/Dockerfile", "app/Dockerfile.cuda"]) {
      const base = dockerfileBaseImage(read(file));
      assert.equal(base.name, `node:${pinned.nodeVersion}-bookworm-slim`, file);
      assert.equal(base.ref, `docker.io/library/node:${pinned.nodeVersion}-bookworm-slim`);
      assert.equal(base.suite, "bookworm");
    }
    assert.match(pinned.nodeVersion, /^24\./, "Node 24 LTS");
  });

  it("refuses a base it cannot stand in for, naming it", () => {
    assert.throws(() => dockerfileBaseImage("ARG NODE_IMAGE=node:24-alpine\n"), /node:24-alpine.*node:<x\.y\.z>-<debian suite>-slim/);
    assert.throws(() => dockerfileBaseImage("FROM node:24\n"), /no `ARG NODE_IMAGE=<image>` default/);
  });

  it("takes the mirror from the machine's apt sources in either format, carrying the suite itself", () => {
    const deb822 = parseAptSources(
      [
        "Types: deb",
        "URIs: http://mirror.example/debian",
        "Suites: bookworm bookworm-updates",
        "Components: main",
        "",
        "Types: deb",
        "URIs: http://mirror.example/debian-security",
        "Suites: bookworm-security",
        "",
        "Types: deb-src",
        "URIs: http://src.example/debian",
        "Suites: trixie",
      ].join("\n"),
      true,
    );
    assert.deepEqual(deb822, [
      { uri: "http://mirror.example/debian", suites: ["bookworm", "bookworm-updates"] },
      { uri: "http://mirror.example/debian-security", suites: ["bookworm-security"] },
    ]);
    const oneLine = parseAptSources("# deb http://old.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian trixie main\ndeb-src http://x/ bookworm main\n", false);
    assert.deepEqual(oneLine, [{ uri: "http://one.example/debian", suites: ["trixie"] }]);
    assert.equal(debianMirror([...oneLine, ...deb822], "bookworm"), "http://mirror.example/debian");
    assert.equal(debianMirror(deb822, "trixie"), undefined);
  });
});
