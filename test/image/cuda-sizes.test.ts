// The CUDA size table reads Debian package lists; checked on a small index.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CUDA_PACKAGES, cudaSizes, parsePackages } from "../../scripts/image/cuda-sizes.js";

const stanza = (pkg: string, kib: number, bytes: number) => `Package: ${pkg}\nVersion: 1.0\nInstalled-Size: ${kib}\nSize: ${bytes}\nDescription: x\n`;

describe("CUDA library sizes from package lists", () => {
  const names = [...CUDA_PACKAGES.map((p) => p.pkg), "libnppial12", "libnppicc12", "libnppidei12", "libnppif12", "libnppig12", "libnppim12", "libnppist12", "libnppisu12", "libnppitc12", "libnpps12"];
  const index = parsePackages(names.map((n) => stanza(n, 1, 1000)).join("\n"));

  it("reads Installed-Size (KiB) and the compressed Size (bytes) per package", () => {
    assert.deepEqual(index.get("libcublaslt12"), { version: "1.0", installed: 1024, compressed: 1000 });
  });

  it("sums by role: what the provider links, loads on demand, and leaves unused; the NPP packages count as one row", () => {
    const { rows, totals } = cudaSizes(index);
    assert.equal(rows.length, CUDA_PACKAGES.length);
    const by = Object.fromEntries(totals.map((t) => [t.role, t.compressed]));
    assert.deepEqual(by, { linked: 4000, "on demand": 2000, unused: 17_000 });
  });

  it("names a package the index lacks", () => {
    const partial = new Map(index);
    partial.delete("libcurand10");
    assert.throws(() => cudaSizes(partial), /package libcurand10 is not in the package index/);
  });
});
