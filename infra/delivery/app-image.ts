// The app's container image: built from the repository (CPU or CUDA variant of app/Dockerfile) and pushed to
// the registry in the stacks that build (dev), loaded into the local Docker daemon and from there
// onto the local cluster's nodes (local), or promoted by digest from the stack below (staging, prod).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as dockerBuild from "@pulumi/docker-build";
import path from "node:path";
import { contextHash } from "./build-context.js";
import { imageLoadCommand, type LocalCluster } from "../cluster/local-cluster.js";

export type ImageVariant = "cpu" | "cuda";

/** Dockerfile per variant, relative to the build context (the repository root). */
export const DOCKERFILES: Record<ImageVariant, string> = { cpu: "app/Dockerfile", cuda: "app/Dockerfile.cuda" };
/** The numeric user each variant's Dockerfile runs as (the node base image's "node", 1000, in both), for runAsUser. */
export const IMAGE_USER: Record<ImageVariant, number> = { cpu: 1000, cuda: 1000 };

export interface AppImageArgs {
  /** CPU image, or CUDA image for GPU pools (required). */
  variant: ImageVariant;
  /** Build from this directory; set it or `promote` (default none). */
  build?: {
    /** Build context: the repository root, which the Dockerfiles copy from (required). */
    contextDir: string;
    /** Target platform (default "linux/amd64"). */
    platform?: "linux/amd64" | "linux/arm64";
    /** Push here and pin by digest; without it the image is loaded into the local Docker daemon (default none). */
    registry?: { repositoryUrl: pulumi.Input<string>; cacheRepositoryUrl: pulumi.Input<string>; registryId: pulumi.Input<string> };
    /** Without a registry: the local cluster whose nodes get the image from the Docker daemon (default none: the daemon is the node's). */
    localCluster?: LocalCluster;
    /** Write the shared registry build cache (default true; index.ts passes false on previews, which a read-only role and PR code run). */
    exportCache?: boolean;
  };
  /** Deploy what another stack runs; set it or `build` (default none). */
  promote?: {
    /** Stack to read the `imageRef` output of, "org/project/stack" (required unless `ref`). */
    fromStack?: string;
    /** Digest-pinned reference that overrides the stack reference (CI sets it) (default none). */
    ref?: string;
  };
}

export class AppImage extends pulumi.ComponentResource {
  /** What the Deployment runs: repository@sha256:... (or the content-hash tag in the local daemon). */
  public readonly imageRef: pulumi.Output<string>;
  /** sha256:... of the image. */
  public readonly digest: pulumi.Output<string>;
  /** UID the image runs as. */
  public readonly uid: number;
  /**
   * "Never" for an image that is in no registry: the kubelet starts it if present and never fetches another
   * under its name (https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy); else "IfNotPresent".
   */
  public readonly pullPolicy: "IfNotPresent" | "Never";

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:AppImage", name, {}, opts);
    this.uid = IMAGE_USER[args.variant];
    this.pullPolicy = args.build && !args.build.registry ? "Never" : "IfNotPresent";
    if (args.build) {
      const { contextDir, registry } = args.build;
      const tag = `${args.variant}-${contextHash(contextDir)}`;
      const common = {
        // The repository root: the Dockerfiles install from the workspace lockfile there (see /.dockerignore).
        context: { location: contextDir },
        dockerfile: { location: path.join(contextDir, DOCKERFILES[args.variant]) },
        platforms: [args.build.platform ?? "linux/amd64"],
      } satisfies Partial<dockerBuild.ImageArgs>;
      if (registry) {
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: registry.registryId }, { parent: this });
        const cacheRef = pulumi.interpolate`${registry.cacheRepositoryUrl}:${args.variant}`;
        const image = new dockerBuild.Image(
          name,
          {
            ...common,
            tags: [pulumi.interpolate`${registry.repositoryUrl}:${tag}`],
            push: true,
            registries: [{ address: registry.repositoryUrl, username: auth.userName, password: auth.password }],
            cacheFrom: [{ registry: { ref: cacheRef } }],
            // docker-build exports cache manifests even on preview ("Images built during previews
            // are never exported to registries, however cache manifests are still exported", Image
            // buildOnPreview docs): a preview writes no cache, so the read-only preview role and
            // pull-request code never write the shared cache. ECR needs the image-manifest form of
            // the cache (it rejects BuildKit's index-only one).
            ...(args.build.exportCache === false
              ? {}
              : { cacheTo: [{ registry: { ref: cacheRef, mode: "max", imageManifest: true, ociMediaTypes: true } }] }),
          },
          // Deleting or replacing a docker-build Image deletes the image it pushed from the
          // registry (pulumi/pulumi-docker-build#581, #606; the Image API docs), and rollback's
          // image.ref, a replace or a destroy of dev drops this resource: retained, the digest
          // staging's and prod's release histories name stays (lifecycle rules clean up later).
          { parent: this, retainOnDelete: true },
        );
        this.digest = image.digest;
        this.imageRef = pulumi.interpolate`${registry.repositoryUrl}@${image.digest}`;
      } else {
        const localTag = `inference-platform-app:${tag}`;
        const image = new dockerBuild.Image(
          name,
          { ...common, tags: [localTag], push: false, load: true },
          { parent: this },
        );
        this.digest = image.digest;
        // No registry, no repository digest: the content-hash tag names this build alone.
        const load = args.build.localCluster && imageLoadCommand(args.build.localCluster, localTag);
        if (load) {
          // The cluster's nodes do not read the host's daemon: copy the image onto them after each build
          // (a new digest), before anything runs it. The names in the command are validated config
          // (DNS labels) and the tag is ours, so the shell sees no metacharacters.
          const loaded = new command.local.Command(
            `${name}-load`,
            { create: load.join(" "), triggers: [image.digest] },
            { parent: this, dependsOn: [image] },
          );
          // Resolves once the load has run, so whatever runs the image (the Deployment) waits for it.
          this.imageRef = loaded.create.apply(() => localTag);
        } else {
          this.imageRef = pulumi.output(localTag);
        }
      }
    } else if (args.promote) {
      const { ref, fromStack } = args.promote;
      if (ref) {
        this.imageRef = pulumi.output(ref);
      } else if (fromStack) {
        const below = new pulumi.StackReference(name, { name: fromStack }, { parent: this });
        this.imageRef = below.requireOutput("imageRef").apply((r) => String(r));
      } else {
        throw new Error("AppImage: promote needs fromStack or ref");
      }
      this.digest = this.imageRef.apply((r) => r.slice(r.indexOf("@") + 1));
    } else {
      throw new Error("AppImage: set build or promote");
    }
    this.registerOutputs({ imageRef: this.imageRef, digest: this.digest });
  }
}
