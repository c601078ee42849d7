// Does a registry still hold an image digest? Promotion and rollback ask before deploying one,
// because a digest expired by an ECR lifecycle rule would leave pods in ImagePullBackOff.
import { execFile } from "node:child_process";
import { isDigest, ReleaseError } from "../../infra/delivery/release-history.js";
import { interpretPutImage, manifestFromBatchGetImage, putReleaseTagArgs, readManifestArgs, type EcrImage } from "../../infra/delivery/released-images.js";

export interface ImageRef {
  /** Registry host (with port), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com or localhost:5000. */
  registry: string;
  /** Repository path inside the registry. */
  repository: string;
  digest: string;
}

/** Splits `<registry>/<repository>@sha256:<hex>`; a reference without a registry host or digest is refused. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.lastIndexOf("@");
  const digest = at < 0 ? "" : ref.slice(at + 1);
  if (!isDigest(digest)) {
    throw new ReleaseError(`image reference "${ref}" is not pinned by digest; expected <registry>/<repository>@sha256:<64 hex>`);
  }
  const name = ref.slice(0, at).replace(/:[^/:]+$/, ""); // a tag beside the digest is ignored, as docker does
  const slash = name.indexOf("/");
  const registry = slash < 0 ? "" : name.slice(0, slash);
  if (!registry.includes(".") && !registry.includes(":") && registry !== "localhost") {
    throw new ReleaseError(`image reference "${ref}" names no registry host; expected <registry>/<repository>@sha256:<64 hex>`);
  }
  return { registry, repository: name.slice(slash + 1), digest };
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** Account and region of an ECR registry host, or undefined for any other registry. */
export function ecrRegistry(registry: string): { accountId: string; region: string } | undefined {
  const m = ECR_HOST.exec(registry);
  return m ? { accountId: m[1]!, region: m[2]! } : undefined;
}

// Every manifest media type a digest may name: single-arch or multi-arch, OCI or Docker.
const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** The ECR coordinates of an image reference in an ECR registry. */
export function ecrImage(image: ImageRef): EcrImage {
  const ecr = ecrRegistry(image.registry);
  if (!ecr) throw new ReleaseError(`${image.registry} is not an ECR registry`);
  return { registryId: ecr.accountId, region: ecr.region, repository: image.repository, digest: image.digest };
}

/**
 * Reads the outcome of `aws ecr batch-get-image` (infra/delivery/released-images.ts readManifestArgs):
 * found, not found, or an error worth reporting. BatchGetImage is a pull action, which the
 * cross-account pull policy of a shared registry grants (ECR user guide, "Private repository
 * policy examples") where DescribeImages is denied. A missing image is a failure entry
 * (ImageNotFound) in a successful answer; a missing repository is an error; a denial names the
 * permission to grant.
 */
export function interpretEcrBatchGetImage(image: ImageRef, exitCode: number, stdout: string, stderr: string): boolean {
  if (exitCode === 0) {
    let answer: { images?: unknown; failures?: { failureCode?: unknown }[] };
    try {
      answer = JSON.parse(stdout) as typeof answer;
    } catch {
      throw new ReleaseError(`aws ecr batch-get-image answered something that is not JSON: ${stdout.slice(0, 200)}`);
    }
    if (Array.isArray(answer.images) && answer.images.length > 0) return true;
    const failures = Array.isArray(answer.failures) ? answer.failures.map((f) => String(f?.failureCode)) : [];
    if (failures.length === 0 || failures.every((f) => f === "ImageNotFound")) return false;
    throw new ReleaseError(`ECR could not return ${image.repository}@${image.digest}: ${failures.join(", ")}`);
  }
  if (/RepositoryNotFoundException/.test(stderr)) return false;
  if (/AccessDenied|not authorized to perform/.test(stderr)) {
    const ecr = ecrRegistry(image.registry);
    throw new ReleaseError(
      `the current AWS role may not read ${image.repository} in account ${ecr?.accountId ?? image.registry}: ` +
        "grant it ecr:BatchGetImage on that repository (the registry's pull policy) and ecr:GetAuthorizationToken; " +
        `cannot tell whether ${image.digest} exists`,
    );
  }
  throw new ReleaseError(`aws ecr batch-get-image failed (exit ${exitCode}): ${stderr.trim() || "no message"}`);
}


/** URL of the OCI distribution manifest endpoint; plain http only for loopback registries. */
export function manifestUrl(image: ImageRef): string {
  const host = image.registry.replace(/:\d+$/, "");
  const scheme = host === "localhost" || host.startsWith("127.") || host === "[::1]" ? "http" : "https";
  return `${scheme}://${image.registry}/v2/${image.repository}/manifests/${image.digest}`;
}

/** Asks an OCI distribution registry (HEAD manifest) whether it holds the digest. */
export async function ociHasManifest(image: ImageRef, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  const url = manifestUrl(image);
  let res: Response;
  try {
    res = await fetchImpl(url, { method: "HEAD", headers: { accept: MANIFEST_MEDIA_TYPES.join(", ") }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new ReleaseError(`cannot reach the registry at ${url}: ${(err as Error).message}`);
  }
  if (res.ok) return true;
  if (res.status === 404) return false;
  throw new ReleaseError(`registry answered ${res.status} for ${url}; cannot tell whether ${image.digest} exists`);
}

/** Whether the registry that `ref` names holds its digest: ECR through the AWS CLI's credentials (BatchGetImage), others over the OCI API. */
export async function imageExists(ref: string): Promise<boolean> {
  const image = parseImageRef(ref);
  if (!ecrRegistry(image.registry)) return ociHasManifest(image);
  const { code, stdout, stderr } = await aws(readManifestArgs(ecrImage(image)));
  return interpretEcrBatchGetImage(image, code, stdout, stderr);
}

function aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("aws", args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: error && typeof error.code === "string" ? `${error.message}\n${stderr}` : stderr });
    });
  });
}

/**
 * Marks a digest as released to `stack` before it is deployed there: the tag
 * `release-<stack>-<hex>` that the registry's lifecycle policy never expires
 * (infra/delivery/released-images.ts), so no later build, lifecycle run or destroy of dev
 * removes an image a stack's release history names. ECR only; another registry keeps images by
 * its own rules, which the message says.
 */
export async function tagReleased(ref: string, stack: string): Promise<string> {
  const image = parseImageRef(ref);
  if (!ecrRegistry(image.registry)) return `${image.registry} is not ECR: nothing tagged; keep ${image.digest} by that registry's own retention rules`;
  const target = ecrImage(image);
  const read = await aws(readManifestArgs(target));
  if (read.code !== 0) interpretEcrBatchGetImage(image, read.code, read.stdout, read.stderr);
  let manifest;
  try {
    manifest = manifestFromBatchGetImage(JSON.parse(read.stdout), target);
  } catch (err) {
    throw new ReleaseError(`cannot tag ${ref} as released: ${(err as Error).message}`);
  }
  const shortStack = stack.split("/").at(-1)!;
  const put = await aws(putReleaseTagArgs(target, shortStack, manifest));
  try {
    return `${interpretPutImage(put.code, put.stderr) === "tagged" ? "tagged" : "already tagged"} ${image.repository}:release-${shortStack}-… (kept by the lifecycle policy)`;
  } catch (err) {
    throw new ReleaseError(`cannot tag ${ref} as released to ${shortStack}: ${(err as Error).message}`);
  }
}
