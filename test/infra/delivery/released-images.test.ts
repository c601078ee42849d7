// ECR's lifecycle evaluation, modelled, and the image repository's rules checked against it:
// a promoted digest survives any number of later builds; old builds and orphans do not.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  buildTagExclusions,
  expiredImages,
  imageLifecycleRules,
  interpretPutImage,
  KEEP_RELEASES,
  manifestFromBatchGetImage,
  putReleaseTagArgs,
  readManifestArgs,
  releaseTag,
  type LifecycleRule,
  type RegistryImage,
} from "../../../infra/delivery/released-images.js";

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
/** `count` cpu builds, the newest first (age 0), each pushed a day after the previous. */
const builds = (count: number): RegistryImage[] =>
  Array.from({ length: count }, (_, i) => ({ digest: digest(i + 1), tags: [`cpu-${String(i).padStart(12, "0")}`], ageDays: i }));

describe("ECR lifecycle evaluation (the model)", () => {
  const keepNewest2: LifecycleRule = {
    rulePriority: 2,
    description: "",
    selection: { tagStatus: "tagged", tagPrefixList: ["cpu-"], countType: "imageCountMoreThan", countNumber: 2 },
    action: { type: "expire" },
  };

  it("keeps the newest N by push time and expires the rest", () => {
    assert.deepEqual([...expiredImages([keepNewest2], builds(4))].sort(), [digest(3), digest(4)]);
  });

  it("an image claimed by a higher-priority rule is never expired by a lower one", () => {
    const images = builds(4);
    images[3]!.tags.push("release-prod-x");
    const keepReleases: LifecycleRule = { ...keepNewest2, rulePriority: 1, selection: { ...keepNewest2.selection, tagPrefixList: ["release-"], countNumber: 10 } };
    assert.deepEqual([...expiredImages([keepReleases, keepNewest2], images)], [digest(3)]);
    // Without the claiming rule the same image goes.
    assert.ok(expiredImages([keepNewest2], images).has(digest(4)));
  });

  it("sinceImagePushed expires by age; untagged rules see only untagged images", () => {
    const rule: LifecycleRule = {
      rulePriority: 1, description: "", action: { type: "expire" },
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
    };
    const images = [{ digest: digest(1), tags: [], ageDays: 3 }, { digest: digest(2), tags: [], ageDays: 0 }, { digest: digest(3), tags: ["cpu-1"], ageDays: 9 }];
    assert.deepEqual([...expiredImages([rule], images)], [digest(1)]);
  });
});

describe("the image repository's lifecycle rules", () => {
  const rules = imageLifecycleRules(["cpu-", "cuda-"], 5);

  it("a digest promoted to prod survives 1000 later builds; unpromoted builds beyond 5 per variant expire", () => {
    const images = builds(1005);
    const released = images[1004]!; // the oldest build
    released.tags.push(releaseTag("prod", released.digest));
    const expired = expiredImages(rules, images);
    assert.equal(expired.has(released.digest), false);
    assert.equal(expired.size, 1005 - 5 - 1);
    assert.ok(expired.has(images[5]!.digest) && !expired.has(images[4]!.digest));
  });

  it("CUDA and CPU builds are counted apart, and orphans (untagged) go after a day", () => {
    const cuda = builds(6).map((img) => ({ ...img, digest: img.digest.replace("sha256:0", "sha256:c"), tags: img.tags.map((t) => t.replace("cpu-", "cuda-")) }));
    const orphan = { digest: digest(999), tags: [], ageDays: 2 };
    const expired = expiredImages(rules, [...builds(5), ...cuda, orphan]);
    assert.deepEqual([...expired].sort(), [cuda[5]!.digest, orphan.digest].sort());
  });

  it("is valid for ECR: unique priorities, the release rule first, one untagged rule, no 'any' rule before others", () => {
    const priorities = rules.map((r) => r.rulePriority);
    assert.equal(new Set(priorities).size, priorities.length);
    assert.equal(rules[0]!.selection.tagPrefixList?.[0], "release-");
    assert.equal(rules[0]!.selection.countNumber, KEEP_RELEASES);
    assert.equal(rules.filter((r) => r.selection.tagStatus === "untagged").length, 1);
    assert.equal(rules.some((r) => r.selection.tagStatus === "any"), false);
  });
});

describe("tags", () => {
  it("release tags name the stack and the whole digest", () => {
    assert.equal(releaseTag("prod", digest(10)), `release-prod-${digest(10).slice(7)}`);
    assert.throws(() => releaseTag("prod", "latest"), /not a sha256 digest/);
    assert.throws(() => releaseTag("Prod Stack", digest(1)), /not a stack name/);
  });

  it("only build tags are excluded from immutability", () => {
    assert.deepEqual(buildTagExclusions(["cpu-", "cuda-"]), [
      { filter: "cpu-*", filterType: "WILDCARD" },
      { filter: "cuda-*", filterType: "WILDCARD" },
    ]);
  });
});

describe("the promote path: tagging a digest as released in place", () => {
  const image = { registryId: "111122223333", region: "us-east-1", repository: "inference-platform-dev", digest: digest(7) };

  it("reads the manifest with batch-get-image, accepting OCI and Docker manifests and indexes", () => {
    const args = readManifestArgs(image);
    assert.deepEqual(args.slice(0, 10), ["ecr", "batch-get-image", "--registry-id", "111122223333", "--region", "us-east-1", "--repository-name", "inference-platform-dev", "--image-ids", `imageDigest=${digest(7)}`]);
    assert.ok(args.includes("application/vnd.oci.image.index.v1+json") && args.includes("application/vnd.docker.distribution.manifest.v2+json"));
  });

  it("puts the same manifest back under the stack's release tag, pinned to the digest", () => {
    const manifest = manifestFromBatchGetImage({ images: [{ imageManifest: "{}", imageManifestMediaType: "application/vnd.oci.image.index.v1+json" }] }, image);
    const args = putReleaseTagArgs(image, "prod", manifest);
    const opt = (name: string) => args[args.indexOf(name) + 1];
    assert.equal(opt("--image-tag"), releaseTag("prod", digest(7)));
    assert.equal(opt("--image-digest"), digest(7));
    assert.equal(opt("--image-manifest"), "{}");
    assert.equal(opt("--image-manifest-media-type"), "application/vnd.oci.image.index.v1+json");
  });

  it("names a digest that is not in the registry", () => {
    assert.throws(
      () => manifestFromBatchGetImage({ images: [], failures: [{ failureCode: "ImageNotFound", failureReason: "Requested image not found" }] }, image),
      new RegExp(`inference-platform-dev@${digest(7)} is not in the registry \\(ImageNotFound`),
    );
  });

  it("a repeated promotion is already tagged; other failures are errors", () => {
    assert.equal(interpretPutImage(0, ""), "tagged");
    assert.equal(interpretPutImage(254, "An error occurred (ImageAlreadyExistsException) when calling the PutImage operation"), "already-tagged");
    assert.throws(() => interpretPutImage(254, "An error occurred (AccessDeniedException)"), /put-image failed \(exit 254\): .*AccessDenied/);
  });
});
