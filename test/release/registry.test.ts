import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { readManifestArgs } from "../../infra/delivery/released-images.js";
import {
  ecrImage,
  interpretEcrBatchGetImage,
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

  it("asks ECR with a pull action (BatchGetImage, which a cross-account pull policy grants) for exactly that digest", () => {
    const args = readManifestArgs(ecrImage(parseImageRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/inference@${d}`)));
    assert.deepEqual(args.slice(0, 8), ["ecr", "batch-get-image", "--registry-id", "123456789012", "--region", "eu-west-1", "--repository-name", "team/inference"]);
    assert.ok(args.includes(`imageDigest=${d}`));
    assert.ok(!args.includes("describe-images"), "DescribeImages is denied by the pull-only policy");
  });

  it("reads ECR's answer: found, not found, or an error that names what to grant", () => {
    const image = parseImageRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/inference@${d}`);
    assert.equal(interpretEcrBatchGetImage(image, 0, JSON.stringify({ images: [{ imageManifest: "{}" }], failures: [] }), ""), true);
    assert.equal(interpretEcrBatchGetImage(image, 0, JSON.stringify({ images: [], failures: [{ failureCode: "ImageNotFound" }] }), ""), false);
    assert.equal(interpretEcrBatchGetImage(image, 254, "", "An error occurred (RepositoryNotFoundException) when calling BatchGetImage"), false);
    assert.throws(
      () => interpretEcrBatchGetImage(image, 254, "", "An error occurred (AccessDeniedException) when calling the BatchGetImage operation: User: arn:aws:sts::210987654321:assumed-role/deploy is not authorized to perform: ecr:BatchGetImage"),
      /may not read team\/inference in account 123456789012: grant it ecr:BatchGetImage .*cannot tell whether sha256:ab/,
    );
    assert.throws(() => interpretEcrBatchGetImage(image, 0, JSON.stringify({ images: [], failures: [{ failureCode: "UnsupportedImageType" }] }), ""), /could not return .*UnsupportedImageType/);
    assert.throws(() => interpretEcrBatchGetImage(image, 255, "", "Unable to locate credentials"), /exit 255\): Unable to locate credentials/);
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
