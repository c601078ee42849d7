// Where released images live, and what ECR may expire (the registry design promote and rollback
// build on). One repository, owned by the building stack, holds every image dev builds; promotion tags a digest `release-<stack>-<digest hex>` in place (no copy),
// and the lifecycle policy's first rule claims every image carrying such a tag, so no
// later rule can expire it, however many builds follow. Build tags (`cpu-<hash>`,
// `cuda-<hash>`) are the only mutable tags, so rebuilding a tree that was built before
// pushes its tag again instead of failing with ImageTagAlreadyExistsException. The repository is
// kept when its stack is destroyed (retainOnDelete, no forceDelete): `pulumi destroy -s dev`
// leaves every released image where staging and prod pull it (docs/infra.md, Registry).
//
// ECR's rules, modelled by `expiredImages` below (Amazon ECR User Guide, "Lifecycle
// policy properties" and "How lifecycle policies work"):
// - rules apply in rulePriority order; an image is expired by at most one rule, and an
//   image that matches the tag selection of a higher-priority rule cannot be expired by a
//   lower-priority rule;
// - tagPrefixList selects an image when every listed prefix matches one of its tags;
// - imageCountMoreThan keeps the newest `countNumber` by push time and expires the rest;
//   sinceImagePushed expires images pushed more than `countNumber` days ago;
// - a rule with tagStatus "any" must come last; only one rule may select untagged images.
// Tag mutability exclusions: Amazon ECR API Reference, ImageTagMutabilityExclusionFilter
// (WILDCARD filters, at most two `*`), with imageTagMutability IMMUTABLE_WITH_EXCLUSION.

/** Prefix of the tags promotion writes; such images are never expired. */
export const RELEASE_TAG_PREFIX = "release-";

/** The immutable tag that marks `digest` as released to `stack`. */
export function releaseTag(stack: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new Error(`releaseTag: "${digest}" is not a sha256 digest`);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(stack)) throw new Error(`releaseTag: "${stack}" is not a stack name usable in a tag`);
  return `${RELEASE_TAG_PREFIX}${stack}-${m[1]}`;
}

export interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

/** Keep-count of the release rule: ECR has no "never expire", so a count no repository reaches. */
export const KEEP_RELEASES = 9999;

/**
 * The lifecycle rules of the image repository: released images kept, the newest `keepBuilds`
 * images of each build-tag prefix kept, untagged images dropped after a day.
 */
export function imageLifecycleRules(buildTagPrefixes: readonly string[], keepBuilds: number): LifecycleRule[] {
  return [
    {
      rulePriority: 1,
      description: `images promoted to a stack (${RELEASE_TAG_PREFIX}*) are never expired: this rule claims them first`,
      selection: { tagStatus: "tagged", tagPrefixList: [RELEASE_TAG_PREFIX], countType: "imageCountMoreThan", countNumber: KEEP_RELEASES },
      action: { type: "expire" },
    },
    ...buildTagPrefixes.map((prefix, i) => ({
      rulePriority: 10 + i,
      description: `keep the newest ${keepBuilds} ${prefix}* builds (dev's rollback targets)`,
      selection: { tagStatus: "tagged" as const, tagPrefixList: [prefix], countType: "imageCountMoreThan" as const, countNumber: keepBuilds },
      action: { type: "expire" as const },
    })),
    {
      rulePriority: 100,
      description: "drop untagged images a day after they lose their last tag",
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
      action: { type: "expire" },
    },
  ];
}

/** Tag-mutability exclusions: build tags may be pushed again, release tags never move. */
export function buildTagExclusions(buildTagPrefixes: readonly string[]): { filter: string; filterType: "WILDCARD" }[] {
  return buildTagPrefixes.map((prefix) => ({ filter: `${prefix}*`, filterType: "WILDCARD" }));
}

export interface RegistryImage {
  digest: string;
  tags: string[];
  /** Days since the image was pushed. */
  ageDays: number;
}

function selects(rule: LifecycleRule, image: RegistryImage): boolean {
  const { tagStatus, tagPrefixList } = rule.selection;
  if (tagStatus === "untagged") return image.tags.length === 0;
  if (tagStatus === "any") return true;
  return image.tags.length > 0 && (tagPrefixList ?? []).every((p) => image.tags.some((t) => t.startsWith(p)));
}

/** Digests a lifecycle policy expires from `images`, by ECR's evaluation rules (see the top of this file). */
export function expiredImages(rules: readonly LifecycleRule[], images: readonly RegistryImage[]): Set<string> {
  const claimed = new Set<string>();
  const expired = new Set<string>();
  for (const rule of [...rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const matched = images.filter((img) => !claimed.has(img.digest) && selects(rule, img));
    for (const img of matched) claimed.add(img.digest);
    const newestFirst = [...matched].sort((a, b) => a.ageDays - b.ageDays);
    const doomed =
      rule.selection.countType === "imageCountMoreThan"
        ? newestFirst.slice(rule.selection.countNumber)
        : newestFirst.filter((img) => img.ageDays > rule.selection.countNumber);
    for (const img of doomed) expired.add(img.digest);
  }
  return expired;
}

// ---- the promote path: tag a digest as released, in place ----
// ECR retags without pulling or pushing layers: read the manifest with batch-get-image, put it
// back with put-image under the new tag (Amazon ECR User Guide, "Retagging an image"; pass the
// manifest's media type so OCI indexes are accepted). Putting a tag that already names the same
// image answers ImageAlreadyExistsException, which a repeated promotion treats as done.

/** An image in ECR addressed by digest. */
export interface EcrImage {
  /** Registry (account) id, 12 digits. */
  registryId: string;
  region: string;
  repository: string;
  digest: string;
}

/** Arguments of `aws ecr batch-get-image` that read the manifest of `image`. */
export function readManifestArgs(image: EcrImage): string[] {
  return [
    "ecr", "batch-get-image",
    "--registry-id", image.registryId,
    "--region", image.region,
    "--repository-name", image.repository,
    "--image-ids", `imageDigest=${image.digest}`,
    "--accepted-media-types",
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
    "--output", "json",
  ];
}

/** The manifest and its media type from batch-get-image's JSON; a failure names the digest. */
export function manifestFromBatchGetImage(json: unknown, image: EcrImage): { manifest: string; mediaType: string } {
  const out = json as { images?: { imageManifest?: string; imageManifestMediaType?: string }[]; failures?: { failureCode?: string; failureReason?: string }[] };
  const found = out?.images?.[0];
  if (!found?.imageManifest || !found.imageManifestMediaType) {
    const why = out?.failures?.[0];
    throw new Error(`${image.repository}@${image.digest} is not in the registry${why ? ` (${why.failureCode}: ${why.failureReason})` : ""}`);
  }
  return { manifest: found.imageManifest, mediaType: found.imageManifestMediaType };
}

/** Arguments of `aws ecr put-image` that tag `image` as released to `stack`. */
export function putReleaseTagArgs(image: EcrImage, stack: string, manifest: { manifest: string; mediaType: string }): string[] {
  return [
    "ecr", "put-image",
    "--registry-id", image.registryId,
    "--region", image.region,
    "--repository-name", image.repository,
    "--image-tag", releaseTag(stack, image.digest),
    "--image-digest", image.digest,
    "--image-manifest", manifest.manifest,
    "--image-manifest-media-type", manifest.mediaType,
    "--output", "json",
  ];
}

/** Reads put-image's outcome: tagged now, tagged before (a repeated promotion), or an error worth reporting. */
export function interpretPutImage(exitCode: number, stderr: string): "tagged" | "already-tagged" {
  if (exitCode === 0) return "tagged";
  if (/ImageAlreadyExistsException/.test(stderr)) return "already-tagged";
  throw new Error(`aws ecr put-image failed (exit ${exitCode}): ${stderr.trim() || "no message"}`);
}
