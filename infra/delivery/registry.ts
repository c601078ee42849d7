// Where images live: an ECR repository with immutable tags (a tag always means
// the same bytes), scan on push and a lifecycle policy, plus a mutable sibling
// repository for BuildKit's registry cache, whose tags are overwritten by design.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface RegistryArgs {
  /** Repository name, e.g. "inference-platform-dev" (required). */
  repositoryName: string;
  /** Images to keep; older ones expire (default 50). */
  keepImages?: number;
  /** Other AWS accounts allowed to pull, for stacks in other accounts (default none). */
  pullAccountIds?: string[];
  /** Delete the repositories with their images on destroy (default false). */
  forceDelete?: boolean;
  /** Tags for the repositories (default none). */
  tags?: Record<string, string>;
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
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: args.forceDelete ?? false,
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      name,
      {
        repository: repo.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "drop untagged layers a day after they lose their tag",
              selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
              action: { type: "expire" },
            },
            {
              rulePriority: 2,
              description: `keep the newest ${args.keepImages ?? 50} images (rollback targets)`,
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: args.keepImages ?? 50 },
              action: { type: "expire" },
            },
          ],
        }),
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
