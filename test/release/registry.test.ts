import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  ecrDescribeImagesArgs,
  interpretEcrDescribe,
  manifestUrl,
  ociHasManifest,
  parseImageRef,
} from "../../scripts/release/registry.js";

const d = `sha256:${"ab".repeat(32)}`;

describe("image references", () => {
  it("splits an ECR reference pinned by digest", () => {
    assert.deepEqual(parseImageRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/inference@${d}`), {
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      repository: "team/inference",
      digest: d,
    });
  });

  it("ignores a tag written beside the digest and keeps a registry port", () => {
    assert.deepEqual(parseImageRef(`localhost:5000/inference:v1@${d}`), { registry: "localhost:5000", repository: "inference", digest: d });
  });

  it("refuses references that are not pinned or name no registry", () => {
    assert.throws(() => parseImageRef("123456789012.dkr.ecr.eu-west-1.amazonaws.com/inference:latest"), /not pinned by digest/);
    assert.throws(() => parseImageRef(`inference@${d}`), /names no registry host/);
  });

  it("asks ECR for exactly that digest in the registry's account and region", () => {
    const args = ecrDescribeImagesArgs(parseImageRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/inference@${d}`));
    assert.deepEqual(args.slice(0, 8), ["ecr", "describe-images", "--registry-id", "123456789012", "--region", "eu-west-1", "--repository-name", "team/inference"]);
    assert.ok(args.includes(`imageDigest=${d}`));
  });

  it("reads ECR's answer: found, not found, or an error that is reported", () => {
    assert.equal(interpretEcrDescribe(0, ""), true);
    assert.equal(interpretEcrDescribe(254, "An error occurred (ImageNotFoundException) when calling DescribeImages"), false);
    assert.throws(() => interpretEcrDescribe(255, "Unable to locate credentials"), /exit 255\): Unable to locate credentials/);
  });

  it("uses plain http only for loopback registries", () => {
    assert.match(manifestUrl(parseImageRef(`127.0.0.1:5000/x@${d}`)), /^http:\/\/127\.0\.0\.1:5000\/v2\/x\/manifests\/sha256:/);
    assert.match(manifestUrl(parseImageRef(`ghcr.io/org/x@${d}`)), /^https:\/\/ghcr\.io\/v2\/org\/x\/manifests\//);
  });
});

describe("OCI registry lookup", () => {
  let server: Server;
  let host = "";
  const seen: { method?: string; accept?: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method, accept: req.headers.accept });
      if (req.url === `/v2/inference/manifests/${d}`) return res.writeHead(200).end();
      if (req.url?.startsWith("/v2/private/")) return res.writeHead(401).end();
      res.writeHead(404).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("finds a digest the registry holds, with a HEAD that accepts index and manifest types", async () => {
    assert.equal(await ociHasManifest(parseImageRef(`${host}/inference@${d}`)), true);
    assert.equal(seen.at(-1)?.method, "HEAD");
    assert.match(seen.at(-1)?.accept ?? "", /oci\.image\.index\.v1\+json.*docker\.distribution\.manifest\.v2\+json/);
  });

  it("reports a digest the registry lacks as absent", async () => {
    assert.equal(await ociHasManifest(parseImageRef(`${host}/inference@sha256:${"cd".repeat(32)}`)), false);
  });

  it("turns other answers into an error instead of guessing", async () => {
    await assert.rejects(ociHasManifest(parseImageRef(`${host}/private/x@${d}`)), /answered 401/);
  });
});
