// Release history: what each `pulumi up` deployed, and the decisions that read it
// (which release a rollback returns to, whether a digest may be promoted).
// Pure code: the Automation API and registry calls live in stacks.ts and registry.ts.
import { z } from "zod";

/** How many releases a stack keeps in its `releases` output; older ones drop off. */
export const RELEASE_HISTORY_LIMIT = 20;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export const releaseSchema = z.object({
  /** Image digest the stack ran, `sha256:<64 hex>`. */
  digest: z.string().regex(DIGEST, "must be sha256:<64 lowercase hex digits>"),
  /** Full image reference pinned by that digest, `<repository>@sha256:...`. */
  imageRef: z.string().min(1),
  /** Commit the image was built from (or "unknown" outside CI). */
  gitSha: z.string().min(1),
  /** When the release was first recorded, ISO 8601. */
  time: z.iso.datetime({ offset: true }),
  /** Set when this release was a rollback: the digest it replaced. Rolled-back digests are never chosen automatically again. */
  rollbackOf: z.string().regex(DIGEST).optional(),
});
export type Release = z.infer<typeof releaseSchema>;

export class ReleaseError extends Error {
  override name = "ReleaseError";
}

/** `pulumi up` itself ran and failed: the stack may be half-updated (exit status 3, which CI rolls back on). */
export class UpdateFailedError extends ReleaseError {
  override name = "UpdateFailedError";
}

/** Exit status of a command whose `pulumi up` ran and failed; 1 means refused before touching the stack. */
export const UPDATE_FAILED_EXIT = 3;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** Validates a `releases` stack output (undefined on a stack that never recorded one). */
export function parseReleaseHistory(value: unknown, source: string): Release[] {
  if (value === undefined || value === null) return [];
  const parsed = z.array(releaseSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join(".") : "";
    throw new ReleaseError(
      `${source}: the "releases" output is not a release history (at "${where}": ${issue?.message ?? "invalid"}); ` +
        "expected a list of {digest, imageRef, gitSha, time[, rollbackOf]}",
    );
  }
  return parsed.data;
}

/**
 * Appends `next` to `history`, keeping the newest `limit` entries. Redeploying the digest the
 * stack already runs (a config-only `pulumi up`) is not a new release, so history stays as is.
 */
export function recordRelease(history: readonly Release[], next: Release, limit = RELEASE_HISTORY_LIMIT): Release[] {
  if (!Number.isInteger(limit) || limit < 1) throw new ReleaseError(`release history limit must be a positive integer, got ${limit}`);
  const latest = history.at(-1);
  if (latest && latest.digest === next.digest) return [...history];
  return [...history, next].slice(-limit);
}

function describe(release: Release): string {
  return `${release.digest.slice(0, 19)} (git ${release.gitSha.slice(0, 12)}, ${release.time})`;
}

/**
 * Finds the release a selector names: a full digest, a digest prefix ("sha256:" optional, at
 * least 7 hex digits) or a git sha prefix (at least 7 hex digits). Newest match wins when one
 * digest was deployed several times; two different digests matching is an error.
 */
export function findRelease(history: readonly Release[], selector: string, stack: string): Release {
  const wanted = selector.trim().toLowerCase();
  const hex = wanted.startsWith("sha256:") ? wanted.slice("sha256:".length) : wanted;
  if (!/^[0-9a-f]{7,64}$/.test(hex)) {
    throw new ReleaseError(
      `release "${selector}" is not a digest or git sha; give sha256:<hex>, or at least 7 hex digits of a digest or commit`,
    );
  }
  const matches = history.filter(
    (r) => r.digest.slice("sha256:".length).startsWith(hex) || (!wanted.startsWith("sha256:") && r.gitSha.toLowerCase().startsWith(hex)),
  );
  const digests = new Set(matches.map((r) => r.digest));
  if (digests.size === 0) {
    const known = history.map(describe).join(", ") || "none";
    throw new ReleaseError(`stack ${stack} has no release matching "${selector}"; its releases: ${known}`);
  }
  if (digests.size > 1) {
    throw new ReleaseError(`release "${selector}" is ambiguous on stack ${stack}: it matches ${[...digests].join(", ")}; give more digits`);
  }
  return matches.at(-1)!;
}

export interface RollbackPlan {
  /** Release to deploy again. */
  target: Release;
  /** Digest the stack runs now, recorded as `rollbackOf` on the new release. */
  replaces: string;
}

/**
 * Chooses what a rollback deploys: the named release, or else the newest earlier release whose
 * digest differs from the running one and was never itself rolled back. `force` redeploys a named
 * release even when the outputs say the stack runs it: after a failed update, which may have
 * changed part of the stack without recording anything.
 */
export function planRollback(
  stack: string,
  history: readonly Release[],
  currentDigest: string | undefined,
  selector?: string,
  force = false,
): RollbackPlan {
  const current = currentDigest ?? history.at(-1)?.digest;
  if (!current) throw new ReleaseError(`stack ${stack} has no recorded release; deploy it once before rolling back`);
  if (selector !== undefined) {
    const target = findRelease(history, selector, stack);
    if (target.digest === current && !force) {
      throw new ReleaseError(`stack ${stack} already runs ${describe(target)}; nothing to roll back (--force redeploys it, e.g. after a failed update)`);
    }
    return { target, replaces: current };
  }
  if (force) throw new ReleaseError("--force needs a named release: the one to redeploy");
  const rolledBack = new Set(history.flatMap((r) => (r.rollbackOf ? [r.rollbackOf] : [])));
  const target = [...history].reverse().find((r) => r.digest !== current && !rolledBack.has(r.digest));
  if (!target) {
    throw new ReleaseError(
      `stack ${stack} has no earlier release to roll back to (history: ${history.map(describe).join(", ") || "none"}); name one explicitly`,
    );
  }
  return { target, replaces: current };
}

/** What a stack says about its deployed image, read from its outputs. */
export interface StackRelease {
  stack: string;
  imageDigest: string | undefined;
  endpointUrl: string | undefined;
  /** host:port of the gRPC door; absent on stacks from before it was exported. */
  grpcEndpoint?: string;
  releases: Release[];
}

export interface PromotionFacts {
  source: StackRelease;
  target: StackRelease;
  /** Outcome of the smoke test run against the source stack just before promoting. */
  sourceSmoke: { passed: boolean; failures: readonly string[] };
  /** Whether the source digest's manifest exists in its registry. */
  inRegistry: boolean;
  /** When set (CI passes the digest it built), the source must still run exactly this digest. */
  expectDigest?: string;
  /** Promote even a digest the target recorded as rolled back. */
  force?: boolean;
}

export interface PromotionPlan {
  release: Release;
  /** The target already runs this digest: the update applies the program (infra, config) only. */
  alreadyRunning: boolean;
}

/**
 * Decides whether the digest the source stack runs may go to the target stack. A promotion always
 * runs `pulumi up` on the target, also when it already runs the digest: the image is unchanged by a
 * commit that only touches infra/, stacks/ or policy/ (none of them is in the image), and that
 * commit must reach every stack all the same.
 */
export function planPromotion(facts: PromotionFacts): PromotionPlan {
  const { source, target } = facts;
  if (source.stack === target.stack) throw new ReleaseError(`cannot promote stack ${source.stack} to itself`);
  const release = source.releases.at(-1);
  if (!release || !source.imageDigest) {
    throw new ReleaseError(`stack ${source.stack} has no recorded release to promote; run \`pulumi up -s ${source.stack}\` first`);
  }
  if (release.digest !== source.imageDigest) {
    throw new ReleaseError(
      `stack ${source.stack} runs ${source.imageDigest} but its latest recorded release is ${release.digest}; ` +
        "its last update did not finish cleanly, fix it before promoting",
    );
  }
  if (facts.expectDigest !== undefined && facts.expectDigest !== release.digest) {
    throw new ReleaseError(
      `refusing to promote: ${source.stack} runs ${release.digest}, not the expected ${facts.expectDigest} (a newer deploy replaced it)`,
    );
  }
  if (!facts.sourceSmoke.passed) {
    throw new ReleaseError(
      `refusing to promote unverified digest ${release.digest}: the smoke test of ${source.stack} failed: ${facts.sourceSmoke.failures.join("; ")}`,
    );
  }
  if (!facts.inRegistry) {
    throw new ReleaseError(`refusing to promote ${release.imageRef}: the registry has no manifest for that digest (deleted or expired?)`);
  }
  const alreadyRunning = target.imageDigest === release.digest;
  // A digest the target runs again (forced earlier) is not refused on every later push.
  const rolledBack = alreadyRunning ? undefined : target.releases.findLast((r) => r.rollbackOf === release.digest);
  if (rolledBack && !facts.force) {
    throw new ReleaseError(
      `refusing to promote ${release.digest} to ${target.stack}: ${target.stack} rolled it back on ${rolledBack.time} ` +
        `(to ${rolledBack.digest.slice(0, 19)}); fix forward with a new build, or pass --force to deploy it again`,
    );
  }
  return { release, alreadyRunning };
}

/** What the release being recorded cannot know by itself, from the environment of `pulumi up`. */
export interface ReleaseMetadata {
  gitSha: string;
  rollbackOf?: string;
}

/**
 * RELEASE_GIT_SHA (set by promote and rollback to the release's own commit) wins over
 * GITHUB_SHA (the commit CI checked out); RELEASE_ROLLBACK_OF marks a rollback.
 */
export function releaseMetadata(env: Record<string, string | undefined>): ReleaseMetadata {
  const gitSha = env.RELEASE_GIT_SHA || env.GITHUB_SHA || "unknown";
  const rollbackOf = env.RELEASE_ROLLBACK_OF || undefined;
  if (rollbackOf !== undefined && !isDigest(rollbackOf)) {
    throw new ReleaseError(`RELEASE_ROLLBACK_OF must be sha256:<64 hex>, got "${rollbackOf}"`);
  }
  return rollbackOf ? { gitSha, rollbackOf } : { gitSha };
}

/** Reads a stack's outputs (as the Automation API returns them) into what the decisions need. */
export function stackReleaseFromOutputs(stack: string, outputs: Record<string, { value: unknown }>): StackRelease {
  const text = (key: string): string | undefined => {
    const v = outputs[key]?.value;
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new ReleaseError(`stack ${stack}: output "${key}" should be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const imageDigest = text("imageDigest");
  if (imageDigest !== undefined && !isDigest(imageDigest)) {
    throw new ReleaseError(`stack ${stack}: output "imageDigest" is "${imageDigest}", expected sha256:<64 hex>`);
  }
  const grpcEndpoint = text("grpcEndpoint");
  return {
    stack,
    imageDigest,
    endpointUrl: text("endpointUrl"),
    ...(grpcEndpoint ? { grpcEndpoint } : {}),
    releases: parseReleaseHistory(outputs.releases?.value, `stack ${stack}`),
  };
}
