// The stack's release history: each `pulumi up` appends the image it deployed (digest, git sha,
// time) to the history its previous update left in the `releases` output, read back through a
// StackReference to this very stack. `npm run rollback` reads the same output.
import * as pulumi from "@pulumi/pulumi";
import {
  isDigest,
  parseReleaseHistory,
  recordRelease,
  releaseMetadata,
  type Release,
  RELEASE_HISTORY_LIMIT,
} from "./release-history.js";

export interface ReleaseHistoryArgs {
  /** sha256 digest of the image this update deploys (required). */
  digest: pulumi.Input<string>;
  /** Digest-pinned reference of that image (required). */
  imageRef: pulumi.Input<string>;
  /** Entries kept (default RELEASE_HISTORY_LIMIT, 20). */
  limit?: number;
  /** Environment that says which commit and whether this is a rollback (default process.env). */
  env?: Record<string, string | undefined>;
}

/** The stack's organization; "organization" is the DIY backend's own name for it, and what mocks without one stand for. */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "organization";
  }
}

/** The `releases` output: previous history plus this update's release. */
export function releaseHistory(args: ReleaseHistoryArgs): pulumi.Output<Release[]> {
  const self = new pulumi.StackReference("release-history", {
    name: `${organization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const meta = releaseMetadata(args.env ?? process.env);
  return pulumi.all([self.getOutput("releases"), args.digest, args.imageRef]).apply(([previous, digest, imageRef]) => {
    const history = parseReleaseHistory(previous, `stack ${pulumi.getStack()}`);
    // A locally loaded image has no registry digest to return to: nothing to record.
    if (!isDigest(digest) || !imageRef.includes("@")) return history;
    return recordRelease(history, { digest, imageRef, time: new Date().toISOString(), ...meta }, args.limit ?? RELEASE_HISTORY_LIMIT);
  });
}
