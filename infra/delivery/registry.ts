// Where images live: one ECR repository for every image the building stack pushes and the
// releases promoted from it (design and sources: ./released-images.ts). Release tags are
// immutable and never expire; build tags may be pushed again; the repository is kept when its
// stack is destroyed, so staging and prod keep pulling what their release history names. A
// mutable sibling repository holds BuildKit's registry cache, whose tags are overwritten by design.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DOCKERFILES } from "./app-image.js";
import { buildTagExclusions, imageLifecycleRules } from "./released-images.js";

/** Prefixes of the tags the building stack pushes (`<variant>-<content hash>`, see app-image.ts). */
export const BUILD_TAG_PREFIXES = Object.keys(DOCKERFILES).map((variant) => `${variant}-`);

export interface RegistryArgs {
  /** Repository name, e.g. "inference-platform-dev" (required). */
  repositoryName: string;
  /** Builds to keep per variant beyond the released ones; older ones expire (default 50). */
  keepImages?: number;
  /** Other AWS accounts allowed to pull, for stacks in other accounts (default none). */
  pullAccountIds?: string[];
  /** Tags for the repositories (default none). */
  tags?: Record<string, string>;
  /** Protect the image repository, not its cache, policies or rules (../protection.ts) (default false). */
  protect?: boolean;
}

export class Registry extends pulumi.ComponentResource {
  public readonly repositoryUrl: pulumi.Output<string>;
  public readonly cacheRepositoryUrl: pulumi.Output<string>;
  public readonly registryId: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Registry", name, {}, opts);
    const repo = new aws.ecr.Repository(
      name,
      {
        name: args.repositoryName,
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: buildTagExclusions(BUILD_TAG_PREFIXES),
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        // Never deleted with its images: other stacks run them (see ./released-images.ts).
        forceDelete: false,
        tags: args.tags,
      },
      { parent: this, retainOnDelete: true, protect: args.protect ?? false },
    );
    new aws.ecr.LifecyclePolicy(
      name,
      {
        repository: repo.name,
        policy: JSON.stringify({ rules: imageLifecycleRules(BUILD_TAG_PREFIXES, args.keepImages ?? 50) }),
      },
      { parent: this },
    );
    const cache = new aws.ecr.Repository(
      `${name}-cache`,
      {
        name: `${args.repositoryName}-cache`,
        imageTagMutability: "MUTABLE",
        forceDelete: true,
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-cache`,
      {
        repository: cache.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "cache blobs no tag points to any more",
              selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
              action: { type: "expire" },
            },
          ],
        }),
      },
      { parent: this },
    );
    if (args.pullAccountIds && args.pullAccountIds.length > 0) {
      new aws.ecr.RepositoryPolicy(
        name,
        {
          repository: repo.name,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "CrossAccountPull",
                Effect: "Allow",
                Principal: { AWS: args.pullAccountIds.map((id) => `arn:aws:iam::${id}:root`) },
                Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
              },
            ],
          }),
        },
        { parent: this },
      );
    }
    this.repositoryUrl = repo.repositoryUrl;
    this.cacheRepositoryUrl = cache.repositoryUrl;
    this.registryId = repo.registryId;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, cacheRepositoryUrl: this.cacheRepositoryUrl });
  }
}
